import { z } from 'zod';
import { inboxPrefixOf, type NatsCredentials, type NatsService } from '@gastown/bus';
import { SecretKeyError, SecretKeyring } from '@gastown/contracts';

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

export const natsUrlSetting = () =>
  z
    .string()
    .optional()
    .transform((v) => v || 'nats://127.0.0.1:4222')
    .refine((v) => v.split(',').every((u) => /^(nats|tls|ws|wss):\/\/[^\s,]+$/.test(u.trim())), {
      message: 'NATS_URL must look like nats://host:port (or a comma-separated list of such URLs)',
    });

export const namespaceSetting = () =>
  z
    .string()
    .optional()
    .transform((v) => v || 'gt')
    .refine((v) => /^[a-z][a-z0-9_]{0,30}$/.test(v), { message: 'GT_NAMESPACE must be lower-case letters, digits or _' });

export function wholeNumberSetting(name: string, fallback: number, { min = 1, max = Number.MAX_SAFE_INTEGER, unit = '' } = {}) {
  return z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        const unbounded = max === Number.MAX_SAFE_INTEGER;
        const what = unbounded && min === 1 ? 'a positive whole number' : unbounded ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}${unit}`;
        ctx.addIssue({ code: 'custom', message: `${name} must be ${what}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });
}

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
 * How a service authenticates to NATS: NATS_USER with NATS_PASSWORD, or NATS_TOKEN, or nothing
 * for a server without authorization. Values are never echoed in an error.
 */
export const natsAuthSettings = () => ({
  NATS_USER: z.string().optional(),
  NATS_PASSWORD: z.string().optional(),
  NATS_TOKEN: z.string().optional(),
  NATS_INBOX_PREFIX: z
    .string()
    .optional()
    .refine((v) => !v || /^[A-Za-z0-9_-]{1,64}$/.test(v), { message: 'NATS_INBOX_PREFIX must be 1 to 64 letters, digits, "_" or "-"' }),
});

interface NatsAuthEnv {
  NATS_USER?: string;
  NATS_PASSWORD?: string;
  NATS_TOKEN?: string;
  NATS_INBOX_PREFIX?: string;
}

/** For a schema's superRefine: the credential variables that only make sense together, or apart. */
export function refineNatsAuth(e: NatsAuthEnv, ctx: z.RefinementCtx): void {
  if (e.NATS_USER && !e.NATS_PASSWORD) ctx.addIssue({ code: 'custom', message: 'NATS_PASSWORD is required with NATS_USER' });
  if (!e.NATS_USER && e.NATS_PASSWORD) ctx.addIssue({ code: 'custom', message: 'NATS_USER is required with NATS_PASSWORD' });
  if (e.NATS_TOKEN && (e.NATS_USER || e.NATS_PASSWORD)) {
    ctx.addIssue({ code: 'custom', message: 'NATS_TOKEN and NATS_USER/NATS_PASSWORD exclude each other: set one way to authenticate' });
  }
}

/**
 * The credentials a service connects with. Replies go to the service's own inbox prefix (see
 * nats.permissions.ts) unless NATS_INBOX_PREFIX names another one the operator's server allows.
 */
export function natsCredentialsFromEnv(e: NatsAuthEnv, service: NatsService, namespace: string): NatsCredentials | undefined {
  const inboxPrefix = e.NATS_INBOX_PREFIX || inboxPrefixOf(service, namespace);
  if (e.NATS_TOKEN) return { token: e.NATS_TOKEN, inboxPrefix };
  if (e.NATS_USER && e.NATS_PASSWORD) return { user: e.NATS_USER, password: e.NATS_PASSWORD, inboxPrefix };
  return undefined;
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

/**
 * For a service whose own schema leaves the credentials out: reads and checks them on their own,
 * refusing a bad combination with the same messages (ConfigError naming the service).
 */
export function loadNatsCredentials(label: string, service: NatsService, env: NodeJS.ProcessEnv): NatsCredentials | undefined {
  const schema = z.object({ ...natsAuthSettings(), GT_NAMESPACE: namespaceSetting() }).superRefine(refineNatsAuth);
  const e = parseEnv(label, schema, Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  return natsCredentialsFromEnv(e, service, e.GT_NAMESPACE);
}
