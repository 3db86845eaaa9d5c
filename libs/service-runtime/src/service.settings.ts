import { z } from 'zod';

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
