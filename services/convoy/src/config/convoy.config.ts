import { z } from 'zod';

const PositiveInt = (name: string, fallback: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n <= 0) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a positive whole number, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

const Env = z.object({
  NATS_URL: z
    .string()
    .optional()
    .transform((v) => v || 'nats://127.0.0.1:4222')
    .refine((v) => v.split(',').every((u) => /^(nats|tls|ws|wss):\/\/[^\s,]+$/.test(u.trim())), {
      message: 'NATS_URL must look like nats://host:port (or a comma-separated list of such URLs)',
    }),
  GT_NAMESPACE: z
    .string()
    .optional()
    .transform((v) => v || 'gt')
    .refine((v) => /^[a-z][a-z0-9_]{0,30}$/.test(v), { message: 'GT_NAMESPACE must be lower-case letters, digits or _' }),
  CONVOY_MAX_TASKS: PositiveInt('CONVOY_MAX_TASKS', 10_000),
  CONVOY_MAX_ATTEMPTS: PositiveInt('CONVOY_MAX_ATTEMPTS', 3),
  CONVOY_MAX_LANDING_ATTEMPTS: PositiveInt('CONVOY_MAX_LANDING_ATTEMPTS', 3),
});

export interface ConvoyConfig {
  natsUrl: string;
  namespace: string;
  maxTasks: number;
  maxAttempts: number;
  maxLandingAttempts: number;
}

export class ConfigError extends Error {}

/** Validates the environment once at start; every bad value gets its own line. */
export function loadConvoyConfig(env: NodeJS.ProcessEnv = process.env): ConvoyConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      `convoy service: invalid configuration\n${parsed.error.issues.map((i) => `  - ${i.message}`).join('\n')}`,
    );
  }
  const e = parsed.data;
  return {
    natsUrl: e.NATS_URL,
    namespace: e.GT_NAMESPACE,
    maxTasks: e.CONVOY_MAX_TASKS,
    maxAttempts: e.CONVOY_MAX_ATTEMPTS,
    maxLandingAttempts: e.CONVOY_MAX_LANDING_ATTEMPTS,
  };
}

/** Credentials in a server URL must never reach a log line. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = '***';
      u.password = '';
    }
    return u.toString();
  } catch {
    return '(unparseable url)';
  }
}
