import { hostname } from 'node:os';
import { z } from 'zod';

const DAY_MS = 24 * 60 * 60_000;

const PositiveInt = (name: string, fallback: number, max = Number.MAX_SAFE_INTEGER) =>
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
      if (n > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be at most ${max}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

const Env = z
  .object({
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
    DISPATCHER_MAX_AGENTS_PER_TOWN: PositiveInt('DISPATCHER_MAX_AGENTS_PER_TOWN', 16),
    // A back-off is waited for with a timer; a day bounds it well inside what a timer can hold.
    DISPATCHER_RETRY_BASE_MS: PositiveInt('DISPATCHER_RETRY_BASE_MS', 2_000, DAY_MS),
    DISPATCHER_RETRY_MAX_MS: PositiveInt('DISPATCHER_RETRY_MAX_MS', 60_000, DAY_MS),
    DISPATCHER_ID: z
      .string()
      .optional()
      .transform((v) => v || `${hostname()}-${process.pid}`)
      .refine((v) => /^[A-Za-z0-9_.-]{1,100}$/.test(v), {
        message: 'DISPATCHER_ID must be 1 to 100 letters, digits, ".", "_" or "-"',
      }),
  })
  .superRefine((e, ctx) => {
    const { DISPATCHER_RETRY_BASE_MS: base, DISPATCHER_RETRY_MAX_MS: max } = e;
    if (max < base) {
      ctx.addIssue({ code: 'custom', message: `DISPATCHER_RETRY_MAX_MS (${max}) must not be below DISPATCHER_RETRY_BASE_MS (${base})` });
    }
  });

export interface DispatcherConfig {
  natsUrl: string;
  namespace: string;
  /** Names this replica in the server's connection list and in its own log lines. */
  dispatcherId: string;
  maxAgentsPerTown: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

export class ConfigError extends Error {}

/** Validates the environment once at start; every bad value gets its own line. */
export function loadDispatcherConfig(env: NodeJS.ProcessEnv = process.env): DispatcherConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(`dispatcher: invalid configuration\n${parsed.error.issues.map((i) => `  - ${i.message}`).join('\n')}`);
  }
  const e = parsed.data;
  return {
    natsUrl: e.NATS_URL,
    namespace: e.GT_NAMESPACE,
    dispatcherId: e.DISPATCHER_ID,
    maxAgentsPerTown: e.DISPATCHER_MAX_AGENTS_PER_TOWN,
    retryBaseMs: e.DISPATCHER_RETRY_BASE_MS,
    retryMaxMs: e.DISPATCHER_RETRY_MAX_MS,
  };
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
