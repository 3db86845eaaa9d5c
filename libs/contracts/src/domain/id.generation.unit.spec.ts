import fc from 'fast-check';
import { beadIdFor, convoyIdFor, nameUuid } from './id.generation';
import { generateTownToken, hashTownToken } from './town.token';

const DNS = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';

describe('deterministic ids', () => {
  it('given the RFC 9562 example, when hashed, then the published version 5 UUID comes out', () => {
    expect(nameUuid(DNS, 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('given the same town and command id, when a convoy id is derived twice, then it is the same convoy', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.string({ minLength: 1 }), (town, command) => {
        expect(convoyIdFor(town, command)).toBe(convoyIdFor(town, command));
        expect(convoyIdFor(town, command)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      }),
    );
  });

  it('given two towns using one command id, then their convoys differ', () => {
    expect(convoyIdFor(DNS, 'c-1')).not.toBe(convoyIdFor('2ed6657d-e927-568b-95e1-2665a8aea6a2', 'c-1'));
  });

  it('given one convoy, then every task index names a different bead', () => {
    const ids = new Set(Array.from({ length: 10_000 }, (_, i) => beadIdFor(DNS, i)));
    expect(ids.size).toBe(10_000);
  });

  it('given a namespace that is not a UUID, then it is refused', () => {
    expect(() => nameUuid('town-1', 'x')).toThrow(/namespace "town-1" is not a UUID/);
  });
});

describe('town tokens', () => {
  it('given two new tokens, then they differ and only their hashes are comparable', () => {
    const [a, b] = [generateTownToken(), generateTownToken()];
    expect(a).not.toBe(b);
    expect(hashTownToken(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashTownToken(a)).toBe(hashTownToken(a));
    expect(hashTownToken(a)).not.toBe(hashTownToken(b));
  });
});
