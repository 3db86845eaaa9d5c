import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, relative, resolve } from 'node:path';
import { z } from 'zod';
import { egressAllowSetting, readAgentPolicy, type AgentPolicy, type EgressAllowList, type SecretKeyring } from '@gastown/contracts';
import type { NatsCredentials, NatsTls, StreamReplicas } from '@gastown/bus';
import {
  ConfigError,
  namespaceSetting,
  natsConnectionFromEnv,
  natsSettings,
  natsUrlSetting,
  parseEnv,
  refineNats,
  refineSecretsKey,
  secretKeyringFromEnv,
  secretsKeySettings,
  wholeNumberSetting,
} from '@gastown/service-runtime';
import type { SandboxSettings } from '../sandbox/sandbox';
import { DEFAULT_SANDBOX_LIMITS as LIMITS } from '../sandbox/sandbox.limits';

const RUNNER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const TOWN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Absolute paths separated by ":" or ","; relative ones are refused, since they would depend on where the runner starts. */
const absolutePathsSetting = (name: string, what: string) =>
  z
    .string()
    .optional()
    .transform((text, ctx) => {
      const paths = (text ?? '').split(/[:,]/).map((p) => p.trim()).filter((p) => p !== '');
      const relative = paths.find((p) => !isAbsolute(p));
      if (relative !== undefined) {
        ctx.addIssue({ code: 'custom', message: `${name} must list absolute ${what}, got "${relative}"` });
        return z.NEVER;
      }
      return paths.map((p) => resolve(p));
    });

/** A number, undefined when unset: the town caps' defaults depend on the host (see townLimitsOf). */
const optionalNumberSetting = (name: string, { min, max, what, whole }: { min: number; max: number; what: string; whole: boolean }) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return undefined;
      const n = Number(v);
      if (!Number.isFinite(n) || (whole && !Number.isInteger(n)) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be ${what} from ${min} to ${max}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

const rootsByTownSetting = () =>
  z
    .string()
    .optional()
    .transform((text, ctx): Record<string, string[]> => {
      if (text === undefined || text.trim() === '') return {};
      const problem = (why: string) => {
        ctx.addIssue({ code: 'custom', message: `GASTOWN_LOCAL_REPO_ROOTS_BY_TOWN ${why}, e.g. {"<town id>": ["/srv/git/acme"]}` });
        return z.NEVER;
      };
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return problem('must be a JSON object');
      }
      if (typeof json !== 'object' || json === null || Array.isArray(json)) return problem('must be a JSON object');
      const byTown: Record<string, string[]> = {};
      for (const [town, roots] of Object.entries(json)) {
        if (!TOWN_ID.test(town)) return problem(`has the key "${town}", which is not a town id`);
        if (!Array.isArray(roots) || !roots.every((r): r is string => typeof r === 'string' && isAbsolute(r))) {
          return problem(`must map town ${town} to a list of absolute directories`);
        }
        byTown[town.toLowerCase()] = roots.map((r) => resolve(r));
      }
      return byTown;
    });

const Env = z
  .object({
    NATS_URL: natsUrlSetting(),
    GT_NAMESPACE: namespaceSetting(),
    ...natsSettings(),
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
    // How long a stopping runner lets its agents, merges and landings finish before it interrupts them.
    GIT_RUNNER_DRAIN_MS: wholeNumberSetting('GIT_RUNNER_DRAIN_MS', 30_000, { min: 0, max: 24 * 3_600_000, unit: ' ms' }),
    // A job failing on every delivery ends its attempt (or landing) FAILED after this many; the pauses between grow to the cap.
    GIT_RUNNER_JOB_MAX_DELIVERIES: wholeNumberSetting('GIT_RUNNER_JOB_MAX_DELIVERIES', 10, { min: 1, max: 100 }),
    GIT_RUNNER_JOB_RETRY_MAX_MS: wholeNumberSetting('GIT_RUNNER_JOB_RETRY_MAX_MS', 30_000, { min: 10, max: 600_000, unit: ' ms' }),
    // The operator's caps on what a rig may ask for (a rig allows up to 24 h per agent, 4 h per check).
    GIT_RUNNER_MAX_AGENT_TIMEOUT_MS: wholeNumberSetting('GIT_RUNNER_MAX_AGENT_TIMEOUT_MS', 2 * 3_600_000, { min: 1_000, max: 24 * 3_600_000, unit: ' ms' }),
    GIT_RUNNER_MAX_CHECK_TIMEOUT_MS: wholeNumberSetting('GIT_RUNNER_MAX_CHECK_TIMEOUT_MS', 30 * 60_000, { min: 1_000, max: 4 * 3_600_000, unit: ' ms' }),
    GASTOWN_LOCAL_REPO_ROOTS: absolutePathsSetting('GASTOWN_LOCAL_REPO_ROOTS', 'directories'),
    GASTOWN_LOCAL_REPO_ROOTS_BY_TOWN: rootsByTownSetting(),
    GASTOWN_EGRESS_ALLOW: egressAllowSetting(),
    GIT_RUNNER_AMBIENT_GIT_CREDENTIALS: z
      .string()
      .optional()
      .refine((v) => v === undefined || ['', 'true', 'false'].includes(v), {
        message: 'GIT_RUNNER_AMBIENT_GIT_CREDENTIALS must be "true" or "false"',
      })
      .transform((v) => v === 'true'),
    GIT_RUNNER_SANDBOX: z
      .string()
      .optional()
      .transform((v) => v || 'bwrap')
      .refine((v): v is 'bwrap' | 'none' => v === 'bwrap' || v === 'none', {
        message: 'GIT_RUNNER_SANDBOX must be "bwrap" (the default) or "none" (single-user development only)',
      }),
    GIT_RUNNER_BWRAP_PATH: z
      .string()
      .optional()
      .transform((v) => v || 'bwrap')
      .refine((v) => isAbsolute(v) || /^[A-Za-z0-9._-]+$/.test(v), {
        message: 'GIT_RUNNER_BWRAP_PATH must be an absolute path or a program name on PATH',
      }),
    // Never 0: inside the sandbox an agent is nobody in particular.
    GIT_RUNNER_SANDBOX_UID: wholeNumberSetting('GIT_RUNNER_SANDBOX_UID', 65_534, { min: 1, max: 4_294_967_294 }),
    GIT_RUNNER_SANDBOX_GID: wholeNumberSetting('GIT_RUNNER_SANDBOX_GID', 65_534, { min: 1, max: 4_294_967_294 }),
    GIT_RUNNER_SANDBOX_READ_ONLY: absolutePathsSetting('GIT_RUNNER_SANDBOX_READ_ONLY', 'paths'),
    // What one run (an agent attempt, a check) may take of the host; see sandbox/sandbox.limits.ts.
    GIT_RUNNER_SANDBOX_CGROUPS: z
      .string()
      .optional()
      .transform((v) => v || 'auto')
      .refine((v): v is 'auto' | 'required' | 'off' => ['auto', 'required', 'off'].includes(v), {
        message: 'GIT_RUNNER_SANDBOX_CGROUPS must be "auto" (the default), "required" or "off"',
      }),
    GIT_RUNNER_SANDBOX_MEMORY_MB: wholeNumberSetting('GIT_RUNNER_SANDBOX_MEMORY_MB', LIMITS.memoryMb, { min: 64, max: 1_048_576, unit: ' MB' }),
    GIT_RUNNER_SANDBOX_PIDS: wholeNumberSetting('GIT_RUNNER_SANDBOX_PIDS', LIMITS.pids, { min: 16, max: 65_536 }),
    GIT_RUNNER_SANDBOX_CPUS: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v === '') return LIMITS.cpus;
        const n = Number(v);
        if (!Number.isFinite(n) || n < 0.01 || n > 1024) {
          ctx.addIssue({ code: 'custom', message: `GIT_RUNNER_SANDBOX_CPUS must be a number of CPUs from 0.01 to 1024 (1.5 = one and a half), got "${v}"` });
          return z.NEVER;
        }
        return n;
      }),
    GIT_RUNNER_SANDBOX_TMP_MB: wholeNumberSetting('GIT_RUNNER_SANDBOX_TMP_MB', LIMITS.tmpMb, { min: 1, max: 1_048_576, unit: ' MB' }),
    GIT_RUNNER_SANDBOX_FILE_MB: wholeNumberSetting('GIT_RUNNER_SANDBOX_FILE_MB', LIMITS.fileMb, { min: 1, max: 1_048_576, unit: ' MB' }),
    GIT_RUNNER_SANDBOX_WORKTREE_MB: wholeNumberSetting('GIT_RUNNER_SANDBOX_WORKTREE_MB', LIMITS.worktreeMb, { min: 1, max: 16_777_216, unit: ' MB' }),
    GIT_RUNNER_SANDBOX_FORK_FAILURES: wholeNumberSetting('GIT_RUNNER_SANDBOX_FORK_FAILURES', LIMITS.forkFailures, { min: 0, max: 1_000_000 }),
    // What each town's runs together may take; unset, a default from the host's size (see townLimitsOf).
    GIT_RUNNER_TOWN_CPUS: optionalNumberSetting('GIT_RUNNER_TOWN_CPUS', { min: 0.01, max: 1024, what: 'a number of CPUs', whole: false }),
    GIT_RUNNER_TOWN_MEMORY_MB: optionalNumberSetting('GIT_RUNNER_TOWN_MEMORY_MB', { min: 64, max: 1_048_576, what: 'a whole number of MB', whole: true }),
    GIT_RUNNER_TOWN_PIDS: optionalNumberSetting('GIT_RUNNER_TOWN_PIDS', { min: 16, max: 4_194_304, what: 'a whole number', whole: true }),
    // Opens the rigs' git credentials, which the gateway sealed with the same key.
    ...secretsKeySettings(),
  })
  .superRefine((e, ctx) => {
    refineNats(e, ctx);
    refineSecretsKey(e, ctx);
  });

  export interface GitRunnerConfig {
    natsUrl: string;
    /** NATS_USER/NATS_PASSWORD, NATS_TOKEN or NATS_CREDS_FILE; absent for a server without authorization. */
    natsCredentials?: NatsCredentials;
    /** NATS_TLS_*: absent, TLS only as the URL or the server asks, against the system's roots. */
    natsTls?: NatsTls;
    /** GT_STREAM_REPLICAS: copies of the lease and claim buckets this service creates or brings up to date. */
    streamReplicas?: StreamReplicas;
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
    /** A stopping runner's grace period for the work in hand (GIT_RUNNER_DRAIN_MS). */
    drainMs: number;
    /** Deliveries of a failing job before the runner gives up on it, and the longest pause between two. */
    jobRetry: { maxDeliveries: number; maxDelayMs: number };
    /** The operator's agent profiles and rules, checked again before every agent starts. */
    agentPolicy: AgentPolicy;
    /** No agent runs longer than this, whatever its rig or profile says. */
    maxAgentTimeoutMs: number;
    /** No check runs longer than this, whatever its rig says. */
    maxCheckTimeoutMs: number;
    repositories: RepositorySettings;
    /** The operator's keys (GASTOWN_SECRETS_KEY): open a rig's credentials for that rig's own git commands only. */
    secrets: SecretKeyring;
    /** Where agents and checks run (see sandbox/sandbox.ts). */
    sandbox: SandboxSettings;
  }

  /** Where towns' repositories may be and how git may reach them (see RepositoryPolicy). */
  export interface RepositorySettings {
    /** Local repositories are refused unless under one of these (none by default). */
    localRoots: string[];
    localRootsByTown: Record<string, string[]>;
    /** Inside addresses git may connect to (none by default). */
    egressAllow: EgressAllowList;
    /** The runner's own ssh-agent, keys and credential helpers serve git: single-tenant installs only. */
    ambientCredentials: boolean;
  }

  /** Validates the environment once at start; every bad value gets its own line. */
  export function loadGitRunnerConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): GitRunnerConfig {
    const e = parseEnv('git-runner', Env, env);
    const nats = natsConnectionFromEnv(e, 'git-runner');
    const agents = readAgentPolicy(env, (path) => readFileSync(path, 'utf8'));
    if (!agents.ok) throw new ConfigError('git-runner', agents.problems);
    return {
      natsUrl: e.NATS_URL,
      ...(nats.credentials ? { natsCredentials: nats.credentials } : {}),
      ...(nats.tls ? { natsTls: nats.tls } : {}),
      streamReplicas: nats.streamReplicas,
      namespace: e.GT_NAMESPACE,
      dataDir: resolve(cwd, e.GIT_RUNNER_DATA_DIR || '.data/git-runner'),
      runnerId: e.GIT_RUNNER_ID || `${hostname()}-${process.pid}`,
      maxAgents: e.GIT_RUNNER_MAX_AGENTS,
      ackWaitMs: e.GIT_RUNNER_ACK_WAIT_MS,
      leaseTtlMs: e.GIT_RUNNER_LEASE_TTL_MS,
      drainMs: e.GIT_RUNNER_DRAIN_MS,
      jobRetry: { maxDeliveries: e.GIT_RUNNER_JOB_MAX_DELIVERIES, maxDelayMs: e.GIT_RUNNER_JOB_RETRY_MAX_MS },
      agentPolicy: agents.policy,
      maxAgentTimeoutMs: e.GIT_RUNNER_MAX_AGENT_TIMEOUT_MS,
      maxCheckTimeoutMs: e.GIT_RUNNER_MAX_CHECK_TIMEOUT_MS,
      repositories: {
        localRoots: e.GASTOWN_LOCAL_REPO_ROOTS,
        localRootsByTown: e.GASTOWN_LOCAL_REPO_ROOTS_BY_TOWN,
        egressAllow: e.GASTOWN_EGRESS_ALLOW,
        ambientCredentials: e.GIT_RUNNER_AMBIENT_GIT_CREDENTIALS,
      },
      secrets: secretKeyringFromEnv(e),
      sandbox: sandboxSettings(e, resolve(cwd, e.GIT_RUNNER_DATA_DIR || '.data/git-runner')),
    };
  }

  /** A read-only path holding the data directory, or inside it, would show agents other towns' clones. */
  function sandboxSettings(e: z.infer<typeof Env>, dataDir: string): SandboxSettings {
    if (e.GIT_RUNNER_SANDBOX === 'none') return { kind: 'none' };
    const within = (parent: string, child: string) => !/^\.\.(\/|$)/.test(relative(parent, child));
    const overlapping = e.GIT_RUNNER_SANDBOX_READ_ONLY.find((path) => within(path, dataDir) || within(dataDir, path));
    if (overlapping !== undefined) {
      throw new ConfigError('git-runner', [`GIT_RUNNER_SANDBOX_READ_ONLY must not hold the data directory ${dataDir} or anything in it, got "${overlapping}"`]);
    }
    const { GIT_RUNNER_BWRAP_PATH: bwrapPath, GIT_RUNNER_SANDBOX_UID: uid, GIT_RUNNER_SANDBOX_GID: gid, GIT_RUNNER_SANDBOX_READ_ONLY: readOnly } = e;
    const limits = {
      memoryMb: e.GIT_RUNNER_SANDBOX_MEMORY_MB,
      pids: e.GIT_RUNNER_SANDBOX_PIDS,
      cpus: e.GIT_RUNNER_SANDBOX_CPUS,
      tmpMb: e.GIT_RUNNER_SANDBOX_TMP_MB,
      fileMb: e.GIT_RUNNER_SANDBOX_FILE_MB,
      worktreeMb: e.GIT_RUNNER_SANDBOX_WORKTREE_MB,
      forkFailures: e.GIT_RUNNER_SANDBOX_FORK_FAILURES,
    };
    const town = {
    ...(e.GIT_RUNNER_TOWN_CPUS !== undefined ? { cpus: e.GIT_RUNNER_TOWN_CPUS } : {}),
    ...(e.GIT_RUNNER_TOWN_MEMORY_MB !== undefined ? { memoryMb: e.GIT_RUNNER_TOWN_MEMORY_MB } : {}),
    ...(e.GIT_RUNNER_TOWN_PIDS !== undefined ? { pids: e.GIT_RUNNER_TOWN_PIDS } : {}),
  };
  return { kind: 'bwrap', bwrapPath, uid, gid, readOnly, limits, cgroups: e.GIT_RUNNER_SANDBOX_CGROUPS, ...(Object.keys(town).length > 0 ? { town } : {}) };
  }
