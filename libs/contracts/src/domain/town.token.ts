import { createHash, randomBytes } from 'node:crypto';

/** A bearer token: high-entropy, so a plain sha256 is a sound way to store it. */
export function generateTownToken(): string {
  return `gt_${randomBytes(32).toString('base64url')}`;
}

export function hashTownToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
