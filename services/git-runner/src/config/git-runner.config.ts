import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { readAgentPolicy, type AgentPolicy } from '@gastown/contracts';
import type { NatsCredentials } from '@gastown/bus';
import { ConfigError, loadNatsCredentials, namespaceSetting, natsUrlSetting, parseEnv, wholeNumberSetting } from '@gastown/service-runtime';

const RUNNER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

const Env = z.object({
  NATS_URL: natsUrlSetting(),
  GT_NAMESPACE: namespaceSetting(),
  GIT_RUNNER_DATA_DIR: z.string().optional(),
  GIT_RUNNER_ID: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || RUNNER_ID.test(v), {
      message: 'GIT_RUNNER_ID must be 1 to 100 letters, digits, ".", "_" or "-", starting with a letter or digit',
    }),
  GIT_RUNNER_MAX_AGENTS: wholeNumberSetting('GIT_RUNNER_MAX_AGENTS', 4, { max: 64 }),
  // At least a second: the heartbeat is a third of it, and every heartbeat is a round trip to NATS.
  GIT_RUNNER_ACK_WAIT_MS: wholeNumberSetting('GIT_RUNNER_ACK_WAIT_MS', 60_000, { min: 1_000, max: 3_600_000, unit: ' ms' }),
  // At most half of the lease bucket's 10 minute max age (see rig.lease.ts).
  GIT_RUNNER_LEASE_TTL_MS: wholeNumberSetting('GIT_RUNNER_LEASE_TTL_MS', 15_000, { min: 1_000, max: 300_000, unit: ' ms' }),
  // The operator's caps on what a rig may ask for (a rig allows up to 24 h per agent, 4 h per check).
  GIT_RUNNER_MAX_AGENT_TIMEOUT_MS: wholeNumberSetting('GIT_RUNNER_MAX_AGENT_TIMEOUT_MS', 2 * 3_600_000, { min: 1_000, max: 24 * 3_600_000, unit: ' ms' }),
  GIT_RUNNER_MAX_CHECK_TIMEOUT_MS: wholeNumberSetting('GIT_RUNNER_MAX_CHECK_TIMEOUT_MS', 30 * 60_000, { min: 1_000, max: 4 * 3_600_000, unit: ' ms' }),
});

export interface GitRunnerConfig {
  natsUrl: string;
  /** NATS_USER/NATS_PASSWORD or NATS_TOKEN; absent for a server without authorization. */
  natsCredentials?: NatsCredentials;
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
  /** The operator's agent profiles and rules, checked again before every agent starts. */
  agentPolicy: AgentPolicy;
  /** No agent runs longer than this, whatever its rig or profile says. */
  maxAgentTimeoutMs: number;
  /** No check runs longer than this, whatever its rig says. */
  maxCheckTimeoutMs: number;
}

/** Validates the environment once at start; every bad value gets its own line. */
export function loadGitRunnerConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): GitRunnerConfig {
  const e = parseEnv('git-runner', Env, env);
  const agents = readAgentPolicy(env, (path) => readFileSync(path, 'utf8'));
  if (!agents.ok) throw new ConfigError('git-runner', agents.problems);
  return {
    natsUrl: e.NATS_URL,
    natsCredentials: loadNatsCredentials('git-runner', 'git-runner', env),
    namespace: e.GT_NAMESPACE,
    dataDir: resolve(cwd, e.GIT_RUNNER_DATA_DIR || '.data/git-runner'),
    runnerId: e.GIT_RUNNER_ID || `${hostname()}-${process.pid}`,
    maxAgents: e.GIT_RUNNER_MAX_AGENTS,
    ackWaitMs: e.GIT_RUNNER_ACK_WAIT_MS,
    leaseTtlMs: e.GIT_RUNNER_LEASE_TTL_MS,
    agentPolicy: agents.policy,
    maxAgentTimeoutMs: e.GIT_RUNNER_MAX_AGENT_TIMEOUT_MS,
    maxCheckTimeoutMs: e.GIT_RUNNER_MAX_CHECK_TIMEOUT_MS,
  };
}
