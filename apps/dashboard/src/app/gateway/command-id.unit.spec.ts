import fc from 'fast-check';
import { newCommandId } from './command-id';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newCommandId', () => {
  const randomUUID = crypto.randomUUID;
  afterEach(() => {
    Object.defineProperty(crypto, 'randomUUID', { value: randomUUID, configurable: true });
  });

  it('given a page outside a secure context (no crypto.randomUUID), then ids are still distinct version 4 UUIDs', () => {
    Object.defineProperty(crypto, 'randomUUID', { value: undefined, configurable: true });

    fc.assert(
      fc.property(fc.integer({ min: 2, max: 50 }), (n) => {
        const ids = Array.from({ length: n }, newCommandId);
        expect(ids.every((id) => UUID_V4.test(id))).toBe(true);
        expect(new Set(ids).size).toBe(n);
      }),
    );
  });
});
