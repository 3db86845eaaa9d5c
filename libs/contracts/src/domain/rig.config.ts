import { z } from 'zod';

/** A command line as an argument vector: never a shell string, so user text is never interpreted. */
export const Argv = z.array(z.string().min(1).max(4000)).min(1).max(200);

const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name');

/** Built in: deterministic file changes derived from the bead, so a convoy lands with no LLM. */
const DemoAgent = z.object({ kind: z.literal('demo') });

/** Any argv the town likes: refused unless the operator enables it for a single-tenant install. */
const CommandAgent = z.object({
  kind: z.literal('command'),
  /** `{prompt}` is replaced by the prompt file's path, `{workdir}` by the worktree. */
  command: Argv,
  /**
   * Names of the git-runner's own environment variables handed to the agent (API keys live
   * there). Values never enter the event log.
   */
  passEnv: z.array(EnvName).max(50).default([]),
  /** `prompt`: the prompt file is the agent's standard input (Claude Code, Codex, opencode read it there). */
  stdin: z.enum(['none', 'prompt']).default('none'),
});

/** One of the operator's agent profiles (see agent.profile.ts); the town chooses it by name only. */
const ProfileAgent = z.object({ kind: z.literal('profile'), profile: z.string().min(1).max(40) });

/** What the runner can start as it is: the demo agent or an argv. */
export const AgentConfig = z.discriminatedUnion('kind', [DemoAgent, CommandAgent]);
export type AgentConfig = z.infer<typeof AgentConfig>;

/** What a rig names as its agent; a profile is resolved against the operator's catalogue when it runs. */
export const RigAgentConfig = z.discriminatedUnion('kind', [DemoAgent, ProfileAgent, CommandAgent]);
export type RigAgentConfig = z.infer<typeof RigAgentConfig>;

export const RigCheck = z.object({ name: z.string().min(1).max(100), command: Argv });
export type RigCheck = z.infer<typeof RigCheck>;

const MINUTE = 60_000;

/** The rig settings as first shipped (RigRegistered v1): frozen, later fields extend it. */
export const RigConfigV1 = z.object({
  /** Agents working on this rig at once. */
  maxPolecats: z.number().int().min(1).max(64),
  agent: RigAgentConfig,
  agentTimeoutMs: z.number().int().min(1_000).max(24 * 60 * MINUTE),
  /** Run on every merge result before anything is pushed; the first failure stops the merge. */
  checks: z.array(RigCheck).max(20),
  checkTimeoutMs: z.number().int().min(1_000).max(4 * 60 * MINUTE),
  mergeStrategy: z.enum(['no-ff']),
  /** A bead whose branch changes nothing is sent back unless this is set. */
  allowEmptyBeads: z.boolean(),
});

/** The refinery's merge queue; see the README's "Merge queue". */
export const MergeQueueConfig = z.object({
  /** Beads merged one after another onto the target and checked once together. */
  mergeBatchMax: z.number().int().min(1).max(32),
  /** Batches whose checks run at once, each built on top of the one ahead of it. */
  speculativeDepth: z.number().int().min(1).max(4),
  /** Check runs of this rig at once (speculative batches and bisection halves), each in its own worktree and sandbox. */
  checkConcurrency: z.number().int().min(1).max(8),
  /** A failed check is run once more on the same tree; a pass then is reported as flaky and counts as a pass. */
  retryFlakyChecks: z.boolean(),
});

export const RigConfig = RigConfigV1.extend(MergeQueueConfig.shape);
export type RigConfig = z.infer<typeof RigConfig>;

export const DEFAULT_MERGE_QUEUE_CONFIG: z.infer<typeof MergeQueueConfig> = {
  mergeBatchMax: 8,
  speculativeDepth: 2,
  checkConcurrency: 2,
  retryFlakyChecks: false,
};

export const DEFAULT_RIG_CONFIG: RigConfig = {
  maxPolecats: 4,
  agent: { kind: 'demo' },
  agentTimeoutMs: 30 * MINUTE,
  checks: [],
  checkTimeoutMs: 10 * MINUTE,
  mergeStrategy: 'no-ff',
  allowEmptyBeads: false,
  ...DEFAULT_MERGE_QUEUE_CONFIG,
};

/** What a client may send: every field optional, defaults filled by the town decider. */
export const RigConfigInput = RigConfig.partial();
export type RigConfigInput = z.input<typeof RigConfigInput>;
