import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** A secret a town hands us (a webhook key, a deploy key, a token) is far below this once sealed. */
const MAX_SEALED_CHARS = 16_384;

/**
 * A secret as it may travel in a command or an event: AES-256-GCM under the operator's key,
 * named by the key's id so that an old key can still open it after a rotation. Sealed for one
 * context (e.g. `webhook:<town>:<webhook>`): copied into another context it does not open.
 */
export const SealedSecret = z.object({
  alg: z.literal('A256GCM'),
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  nonce: z.string().length(16).regex(BASE64URL),
  /** Ciphertext then the 16-byte tag, base64url. */
  sealed: z.string().min(22).max(MAX_SEALED_CHARS).regex(BASE64URL),
});
export type SealedSecret = z.infer<typeof SealedSecret>;

/**
 * A secret stored before sealing existed, as an upcaster hands it on. Never produced anew: it
 * exists so that old events keep working, and is opened without a key.
 */
export const LegacyClearSecret = z.object({ alg: z.literal('none'), value: z.string().min(1) });
export type LegacyClearSecret = z.infer<typeof LegacyClearSecret>;

export const StoredSecret = z.discriminatedUnion('alg', [SealedSecret, LegacyClearSecret]);
export type StoredSecret = z.infer<typeof StoredSecret>;

export class SecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretKeyError';
  }
}

/** A sealed secret that cannot be opened: unknown key, wrong context or altered bytes. Never carries the secret. */
export class SecretUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretUnavailableError';
  }
}

/** 64 hex digits, or base64/base64url of 32 bytes. The message names the variable, never the value. */
export function parseSecretKey(variable: string, text: string): Buffer {
  const value = text.trim();
  let key: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(value)) key = Buffer.from(value, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) key = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (!key || key.length !== KEY_BYTES) {
    throw new SecretKeyError(`${variable} must be ${KEY_BYTES} bytes as 64 hex digits or 44 base64 characters (e.g. \`openssl rand -hex 32\`)`);
  }
  return key;
}

/** Names a key without revealing it: the first 8 bytes of a hash of it, domain-separated. */
export function secretKeyId(key: Buffer): string {
  return createHash('sha256').update('gastown secret key id\0').update(key).digest('hex').slice(0, 16);
}

/**
 * The operator's keys: the current one seals, every one opens what it sealed. Rotation adds a
 * new current key and keeps the old ones for opening until nothing sealed with them is in use.
 */
export class SecretKeyring {
  private readonly keys = new Map<string, Buffer>();
  readonly currentKeyId: string;

  constructor(current: Buffer, previous: readonly Buffer[] = []) {
    for (const key of [current, ...previous]) {
      if (key.length !== KEY_BYTES) throw new SecretKeyError(`a secrets key must be ${KEY_BYTES} bytes, got ${key.length}`);
      this.keys.set(secretKeyId(key), Buffer.from(key));
    }
    this.currentKeyId = secretKeyId(current);
  }

  /** From the operator's settings: the current key and a comma-separated list of previous ones. */
  static fromSettings(current: string, previous = '', names = { current: 'GASTOWN_SECRETS_KEY', previous: 'GASTOWN_SECRETS_PREVIOUS_KEYS' }): SecretKeyring {
    const old = previous
      .split(',')
      .map((k) => k.trim())
      .filter((k) => k !== '')
      .map((k, i) => parseSecretKey(`${names.previous} entry ${i + 1}`, k));
    return new SecretKeyring(parseSecretKey(names.current, current), old);
  }

  seal(secret: string, context: string): SealedSecret {
    const key = this.keys.get(this.currentKeyId) as Buffer;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return { alg: 'A256GCM', keyId: this.currentKeyId, nonce: nonce.toString('base64url'), sealed: sealed.toString('base64url') };
  }

  open(stored: StoredSecret, context: string): string {
    if (stored.alg === 'none') return stored.value;
    const key = this.keys.get(stored.keyId);
    if (!key) {
      throw new SecretUnavailableError(
        `secret sealed with key ${stored.keyId}, which is neither GASTOWN_SECRETS_KEY nor one of GASTOWN_SECRETS_PREVIOUS_KEYS`,
      );
    }
    const bytes = Buffer.from(stored.sealed, 'base64url');
    if (bytes.length < TAG_BYTES) throw new SecretUnavailableError(`secret sealed with key ${stored.keyId} is truncated`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(stored.nonce, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretUnavailableError(`secret sealed with key ${stored.keyId} does not open for ${context}: altered, or sealed for another context`);
    }
  }
}

/** The context a webhook's signing key is sealed for: it opens for this town's webhook only. */
export function webhookSecretContext(townId: string, webhookId: string): string {
  return `webhook:${townId}:${webhookId}`;
}

/** The context a rig's git credentials are sealed for: they open for this town's rig only, never for another rig or town. */
export function rigCredentialsContext(townId: string, rigId: string): string {
  return `rig-credentials:${townId}:${rigId}`;
}
