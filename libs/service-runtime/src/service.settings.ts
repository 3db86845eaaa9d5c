import { z } from 'zod';
import { DEFAULT_TOWN_LIMITS, SecretKeyError, SecretKeyring } from '@gastown/contracts';

/**
 * Settings every service reads from its environment, with the same defaults and the same
 * messages everywhere, so that a bad value is named the same way whichever service refuses it.
 */
export class ConfigError extends Error {
  constructor(service: string, readonly problems: readonly string[]) {
    super(`${service}: invalid configuration\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Empty variables count as unset, which is what `FOO= node main.js` means to most people. */
const unset = (v: string | undefined): v is undefined | '' => v === undefined || v === '';

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/** The URL schemes the Node NATS client connects with (tls:// asks for TLS from the first byte of the handshake). */
const NATS_PROTOCOLS = ['nats:', 'tls:'];
const DATABASE_PROTOCOLS = ['postgres:', 'postgresql:'];

function parsedUrl(value: string, protocols: readonly string[]): URL | null {
  try {
    const url = new URL(value);
    return protocols.includes(url.protocol) && url.hostname !== '' ? url : null;
  } catch {
    return null;
  }
}

/**
 * NATS_URL: one nats:// or tls:// URL, or a comma-separated list for a cluster. The value is never
 * echoed: a URL may carry a user and password.
 */
export const natsUrlSetting = () =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (unset(v)) return DEFAULT_NATS_URL;
      const urls = v.split(',').map((u) => u.trim());
      // A path or query would be ignored by the client: refused, since it is someone's mistake.
      if (!urls.every((u) => ['', '/'].includes(parsedUrl(u, NATS_PROTOCOLS)?.pathname ?? 'none') && !u.includes('?'))) {
        ctx.addIssue({ code: 'custom', message: 'NATS_URL must be a nats:// or tls:// URL with a host, e.g. nats://127.0.0.1:4222 (or a comma-separated list of such URLs)' });
        return z.NEVER;
      }
      return urls.join(',');
    });

export const DEFAULT_NAMESPACE = 'gt';

export const namespaceSetting = () =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (unset(v)) return DEFAULT_NAMESPACE;
      if (!/^[a-z][a-z0-9_]{0,30}$/.test(v)) {
        ctx.addIssue({ code: 'custom', message: `GT_NAMESPACE must be 1 to 31 lower-case letters, digits or "_", starting with a letter, got "${v}"` });
        return z.NEVER;
      }
      return v;
    });

/**
 * DATABASE_URL: the read models' PostgreSQL, required. The value is never echoed (it usually
 * carries a password); the database name is checked here because it is created by name when missing.
 */
export const databaseUrlSetting = () =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      const problem = (message: string) => {
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      };
      if (unset(v)) return problem('DATABASE_URL is required: a postgres:// URL, e.g. postgres://user@127.0.0.1:5432/gastown');
      const url = parsedUrl(v, DATABASE_PROTOCOLS);
      if (!url) return problem('DATABASE_URL must be a postgres:// or postgresql:// URL with a host, e.g. postgres://user@127.0.0.1:5432/gastown');
      const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
      if (database === '') return problem('DATABASE_URL must name a database, e.g. postgres://user@127.0.0.1:5432/gastown');
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) return problem('DATABASE_URL must name its database with letters, digits and "_" only, starting with a letter or "_"');
      return v;
    });

/**
 * DATABASE_POOL_MAX: connections one process keeps to PostgreSQL. Every replica has its own
 * pool, so replicas times this must stay under the server's max_connections (100 by default).
 */
export const databasePoolMaxSetting = () => wholeNumberSetting('DATABASE_POOL_MAX', 10, { max: 1_000 });

export function wholeNumberSetting(name: string, fallback: number, { min = 1, max = Number.MAX_SAFE_INTEGER, unit = '' } = {}) {
  return z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (unset(v)) return fallback;
      const n = Number(v);
      // Digits only: Number() would also take "1e3", "0x10" and " ", which no one means as a count.
      if (!/^\s*\d+\s*$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) {
        const unbounded = max === Number.MAX_SAFE_INTEGER;
        const what = unbounded && min === 1 ? 'a positive whole number' : unbounded ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}${unit}`;
        ctx.addIssue({ code: 'custom', message: `${name} must be ${what}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });
}

/** A TCP port to listen on. */
export const portSetting = (name: string, fallback: number) => wholeNumberSetting(name, fallback, { max: 65_535 });

/**
 * What one town may hold: the convoy service enforces them, the gateway bounds its query costs
 * with them, so both read them with one validator.
 */
export const townLimitSettings = () => ({
  CONVOY_MAX_TASKS: wholeNumberSetting('CONVOY_MAX_TASKS', DEFAULT_TOWN_LIMITS.maxTasks, { max: 1_000_000 }),
  CONVOY_MAX_EDGES: wholeNumberSetting('CONVOY_MAX_EDGES', DEFAULT_TOWN_LIMITS.maxEdges, { max: 100_000_000 }),
  GASTOWN_MAX_RIGS_PER_TOWN: wholeNumberSetting('GASTOWN_MAX_RIGS_PER_TOWN', DEFAULT_TOWN_LIMITS.maxRigsPerTown, { max: 1_000_000 }),
  GASTOWN_MAX_WEBHOOKS_PER_TOWN: wholeNumberSetting('GASTOWN_MAX_WEBHOOKS_PER_TOWN', DEFAULT_TOWN_LIMITS.maxWebhooksPerTown, { max: 1_000_000 }),
});

/** Parses the environment once at start; every bad value becomes its own line of the error. */
export function parseEnv<T extends z.ZodType>(service: string, schema: T, env: NodeJS.ProcessEnv): z.infer<T> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new ConfigError(service, parsed.error.issues.map((i) => i.message));
  return parsed.data;
}

/** Credentials in a server URL must never reach a log line. */
export function redactUrl(url: string): string {
  return url
    .split(',')
    .map((one) => {
      try {
        const u = new URL(one.trim());
        if (u.username || u.password) {
          u.username = '***';
          u.password = '';
        }
        return u.toString();
      } catch {
        return '(unparseable url)';
      }
    })
    .join(',');
}

/**
 * GASTOWN_SECRETS_KEY (required) and GASTOWN_SECRETS_PREVIOUS_KEYS: the keyring that seals the
 * secrets towns hand over (webhook signing keys). Without it the service refuses to start rather
 * than put a secret on the bus in clear.
 */
export const secretsKeySettings = () => ({
  GASTOWN_SECRETS_KEY: z.string().optional(),
  GASTOWN_SECRETS_PREVIOUS_KEYS: z.string().optional(),
});

interface SecretsKeyEnv {
  GASTOWN_SECRETS_KEY?: string;
  GASTOWN_SECRETS_PREVIOUS_KEYS?: string;
}

/** For a schema's superRefine: a missing or malformed key is named, its value never echoed. */
export function refineSecretsKey(e: SecretsKeyEnv, ctx: z.RefinementCtx): void {
  if (!e.GASTOWN_SECRETS_KEY) {
    ctx.addIssue({
      code: 'custom',
      message: 'GASTOWN_SECRETS_KEY is required: 32 bytes as 64 hex digits (e.g. `openssl rand -hex 32`); npm start generates one in .data/',
    });
    return;
  }
  try {
    secretKeyringFromEnv(e);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: error instanceof SecretKeyError ? error.message : String(error) });
  }
}

/** The keyring of a validated environment (see refineSecretsKey). */
export function secretKeyringFromEnv(e: SecretsKeyEnv): SecretKeyring {
  return SecretKeyring.fromSettings(e.GASTOWN_SECRETS_KEY ?? '', e.GASTOWN_SECRETS_PREVIOUS_KEYS ?? '');
}

/** For an operator command: the read models' DATABASE_URL. */
export function loadDatabaseUrl(label: string, env: NodeJS.ProcessEnv): string {
  return parseEnv(label, z.object({ DATABASE_URL: databaseUrlSetting() }), env).DATABASE_URL;
}
