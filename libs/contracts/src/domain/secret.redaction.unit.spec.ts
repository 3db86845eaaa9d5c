import fc from 'fast-check';
import { redactCredentials } from './secret.redaction';
import { generateTownToken } from './town.token';

describe('secret redaction', () => {
  it('given URLs with credentials, a town token and a literal secret, when redacted, then none of them survives', () => {
    const token = generateTownToken();
    const text = `cloning https://x-access-token:ghs_S3cret@git.example.com/web.git\npostgresql://app:pw@db/x\nTOKEN=${token}\nkey sk-live-42`;
    expect(redactCredentials(text, ['sk-live-42'])).toBe(
      'cloning https://***@git.example.com/web.git\npostgresql://***@db/x\nTOKEN=gt_***\nkey ***',
    );
  });

  it('given URLs without credentials and local paths, when redacted, then they are unchanged', () => {
    const text = 'fetch https://git.example.com/web.git and /srv/git/web.git and git@github.com:acme/web.git';
    expect(redactCredentials(text)).toBe(text);
  });

  it('given any text around a secret, when redacted with that secret, then the secret is gone', () => {
    const secret = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'), minLength: 4, maxLength: 40 });
    fc.assert(
      fc.property(fc.string(), secret, fc.string(), (before, value, after) => {
        expect(redactCredentials(`${before}${value}${after}`, [value])).not.toContain(value);
      }),
    );
  });
});
