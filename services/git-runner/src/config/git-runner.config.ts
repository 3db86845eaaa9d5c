import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';

const wholeNumber = (name: string, fallback: number, min: number, max: number, unit = '') =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a whole number from ${min} to ${max}${unit}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

const RUNNER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

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
  GIT_RUNNER_DATA_DIR: z.string().optional(),
  GIT_RUNNER_ID: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || RUNNER_ID.test(v), {
      message: 'GIT_RUNNER_ID must be 1 to 100 letters, digits, ".", "_" or "-", starting with a letter or digit',
    }),
  GIT_RUNNER_MAX_AGENTS: wholeNumber('GIT_RUNNER_MAX_AGENTS', 4, 1, 64),
  // At least a second: the heartbeat is a third of it, and every heartbeat is a round trip to NATS.
  GIT_RUNNER_ACK_WAIT_MS: wholeNumber('GIT_RUNNER_ACK_WAIT_MS', 60_000, 1_000, 3_600_000, ' ms'),
  // At most half of the lease bucket's 10 minute max age (see rig.lease.ts).
  GIT_RUNNER_LEASE_TTL_MS: wholeNumber('GIT_RUNNER_LEASE_TTL_MS', 15_000, 1_000, 300_000, ' ms'),
});

export interface GitRunnerConfig {
  natsUrl: string;
  namespace: string;
  /** Clones, worktrees, prompts and agent logs of this replica; never shared with another replica. */
  dataDir: string;
  /** Names this replica in leases, claims and the actor of its commands. */
  runnerId: string;
  /** Agents this replica runs at once. */
  maxAgents: number;
  /** How long a job may go without a heartbeat before another replica gets it. */
  ackWaitMs: number;
  leaseTtlMs: number;
}

export class ConfigError extends Error {}

/** Validates the environment once at start; every bad value gets its own line. */
export function loadGitRunnerConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): GitRunnerConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(`git-runner: invalid configuration\n${parsed.error.issues.map((i) => `  - ${i.message}`).join('\n')}`);
  }
  const e = parsed.data;
  return {
    natsUrl: e.NATS_URL,
    namespace: e.GT_NAMESPACE,
    dataDir: resolve(cwd, e.GIT_RUNNER_DATA_DIR || '.data/git-runner'),
    runnerId: e.GIT_RUNNER_ID || `${hostname()}-${process.pid}`,
    maxAgents: e.GIT_RUNNER_MAX_AGENTS,
    ackWaitMs: e.GIT_RUNNER_ACK_WAIT_MS,
    leaseTtlMs: e.GIT_RUNNER_LEASE_TTL_MS,
  };
}
