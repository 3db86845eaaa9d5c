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

  it('given a secret printed as base64, base64url, hex and URL-encoded, when redacted with that secret, then none of the encodings survives', () => {
    const secret = 'sk-ant-api03/Xy+z9 Q==';
    const encodings = [
      Buffer.from(secret).toString('base64'),
      Buffer.from(secret).toString('base64url'),
      Buffer.from(secret).toString('hex'),
      Buffer.from(secret).toString('hex').toUpperCase(),
      encodeURIComponent(secret),
    ];
    const text = encodings.map((e, i) => `line ${i}: ${e}`).join('\n');
    expect(redactCredentials(text, [secret])).toBe(encodings.map((_, i) => `line ${i}: ***`).join('\n'));
  });

  it('given a secret inside a longer text that is then base64-encoded, when redacted, then no alignment of the result decodes to the secret', () => {
    const secret = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_'), minLength: 8, maxLength: 60 });
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), secret, fc.string({ maxLength: 40 }), (before, value, after) => {
        const printed = Buffer.from(`${before}${value}${after}`).toString('base64');
        const redacted = redactCredentials(`env dump: ${printed}`, [value]);
        for (const piece of redacted.split('***')) {
          for (let shift = 0; shift < 4; shift++) {
            const aligned = piece.slice(shift).replace(/[^A-Za-z0-9+/]/g, '');
            expect(Buffer.from(aligned.slice(0, aligned.length - (aligned.length % 4)), 'base64').toString('latin1')).not.toContain(value);
          }
        }
      }),
    );
  });

  it('given ordinary text and a short secret, when redacted, then only the secret itself goes, not look-alike short encodings', () => {
    expect(redactCredentials('abc YWJj 616263 done', ['abc'])).toBe('*** YWJj 616263 done');
  });
});
