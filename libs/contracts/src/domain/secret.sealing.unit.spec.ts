import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { parseSecretKey, SealedSecret, SecretKeyError, SecretKeyring, secretKeyId, SecretUnavailableError, webhookSecretContext } from './secret.sealing';

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const context = webhookSecretContext('town-1', 'hook-1');

describe('secret sealing', () => {
  it('given any secret and context, when sealed and opened with the same keyring, then the secret comes back and its bytes are nowhere in the sealed form', () => {
    const ring = new SecretKeyring(keyA);
    fc.assert(
      fc.property(fc.string({ minLength: 8, maxLength: 200 }), fc.string({ maxLength: 80 }), (secret, ctx) => {
        const sealed = ring.seal(secret, ctx);
        expect(SealedSecret.parse(sealed)).toEqual(sealed);
        expect(ring.open(sealed, ctx)).toBe(secret);
        const text = JSON.stringify(sealed);
        expect(text).not.toContain(JSON.stringify(secret).slice(1, -1));
        expect(text).not.toContain(Buffer.from(secret).toString('base64url'));
      }),
    );
  });

  it('given one secret sealed twice, when compared, then the nonces and ciphertexts differ', () => {
    const ring = new SecretKeyring(keyA);
    const [one, two] = [ring.seal('same secret', context), ring.seal('same secret', context)];
    expect(one.nonce).not.toBe(two.nonce);
    expect(one.sealed).not.toBe(two.sealed);
  });

  it("given a sealed secret, when opened for another town's webhook, altered, or with a keyring that lacks its key, then it does not open and the error names the key id, never the secret", () => {
    const ring = new SecretKeyring(keyA);
    const sealed = ring.seal('hunter2-hunter2', context);
    expect(() => ring.open(sealed, webhookSecretContext('town-2', 'hook-1'))).toThrow(SecretUnavailableError);
    const flipped = Buffer.from(sealed.sealed, 'base64url');
    flipped[0] ^= 1;
    expect(() => ring.open({ ...sealed, sealed: flipped.toString('base64url') }, context)).toThrow(/altered/);
    const other = new SecretKeyring(keyB);
    expect(() => other.open(sealed, context)).toThrow(`secret sealed with key ${secretKeyId(keyA)}, which is neither GASTOWN_SECRETS_KEY`);
    for (const attempt of [() => ring.open(sealed, 'x'), () => other.open(sealed, context)]) {
      expect(attempt).toThrow(expect.objectContaining({ message: expect.not.stringContaining('hunter2') }));
    }
  });

  it('given a rotation (new current key, old key kept as previous), when an old secret is opened and a new one sealed, then the old opens and the new is sealed with the new key', () => {
    const before = new SecretKeyring(keyA);
    const old = before.seal('old secret', context);
    const after = SecretKeyring.fromSettings(keyB.toString('base64'), keyA.toString('hex'));
    expect(after.open(old, context)).toBe('old secret');
    expect(after.seal('new secret', context).keyId).toBe(secretKeyId(keyB));
    expect(after.currentKeyId).not.toBe(before.currentKeyId);
  });

  it('given a secret stored before sealing existed, when opened, then its value comes back without a key', () => {
    expect(new SecretKeyring(keyA).open({ alg: 'none', value: 'legacy' }, context)).toBe('legacy');
  });

  it('given key text in hex, base64 or base64url, when parsed, then all give the same 32 bytes; anything else is refused naming the variable and not the value', () => {
    expect(parseSecretKey('K', keyA.toString('hex'))).toEqual(keyA);
    expect(parseSecretKey('K', keyA.toString('base64'))).toEqual(keyA);
    expect(parseSecretKey('K', keyA.toString('base64url'))).toEqual(keyA);
    for (const bad of ['', 'short', 'g'.repeat(64), randomBytes(16).toString('hex')]) {
      expect(() => parseSecretKey('GASTOWN_SECRETS_KEY', bad)).toThrow(SecretKeyError);
      expect(() => parseSecretKey('GASTOWN_SECRETS_KEY', bad)).toThrow(/^GASTOWN_SECRETS_KEY must be 32 bytes/);
    }
    expect(() => SecretKeyring.fromSettings(keyA.toString('hex'), `${keyB.toString('hex')}, nope`)).toThrow(/^GASTOWN_SECRETS_PREVIOUS_KEYS entry 2 must be/);
  });
});
