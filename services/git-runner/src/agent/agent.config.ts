import type { z } from 'zod';
import {
  isInfrastructureEnv,
  passEnvProblem,
  profileNames,
  type AgentConfig as RunnableAgent,
  type AgentProfileInput,
  type AgentPolicy,
  type RigConfig,
} from '@gastown/contracts';

/**
 * The agent of a rig is named in the rig's registration (`RigConfig.agent` in contracts,
 * validated by the town decider against the operator's policy); the runner resolves it against
 * the same policy again when it runs, and turns it into a process. This file holds what the
 * runner adds: the resolution, the placeholders of a command and the agent's environment.
 */
export type AgentConfig = RunnableAgent & {
  /** The operator's profile this agent comes from; absent for a town's own command. */
  readonly profile?: string;
  /** Whether the sandbox lets the agent reach the network: only a profile that says so. */
  readonly network?: boolean;
};
/** What a person writes: defaults (passEnv, stdin) may be left out. */
export type AgentConfigInput = z.input<typeof RunnableAgent>;

/** A rig's agent as it will run: what to start, with which variables, network and timeout. */
export type ResolvedAgent = AgentConfig & { readonly network: boolean; readonly timeoutMs: number };

/** The operator's limits the runner applies to every agent, whatever the rig says. */
export interface AgentLimits {
  readonly policy: AgentPolicy;
  /** GIT_RUNNER_MAX_AGENT_TIMEOUT_MS. */
  readonly maxAgentTimeoutMs: number;
}

/**
 * The rig's agent under the operator's policy, or why it may not run. The convoy service
 * already refused what the policy forbids at registration; this is checked again because a rig
 * may have been registered before the operator changed the policy, or by a compromised writer.
 * The timeout is the least of the rig's, the profile's and the operator's.
 */
export function resolveAgent(config: Pick<RigConfig, 'agent' | 'agentTimeoutMs'>, limits: AgentLimits): ResolvedAgent | { refused: string } {
  const { policy } = limits;
  const agent = config.agent;
  const timeout = (profileCap: number | null) => Math.min(config.agentTimeoutMs, limits.maxAgentTimeoutMs, profileCap ?? Infinity);
  if (agent.kind === 'command') {
    if (!policy.allowTownCommands) {
      return { refused: "the rig runs its own command, which this installation does not allow (GASTOWN_ALLOW_TOWN_AGENT_COMMANDS); register it again with one of the operator's agent profiles" };
    }
    const problems = agent.passEnv.map((name) => passEnvProblem(name, policy)).filter((p) => p !== null);
    if (problems.length > 0) return { refused: `the rig's passEnv is not allowed: ${problems.join('; ')}` };
    return { ...agent, network: false, timeoutMs: timeout(null) };
  }
  const name = agent.kind === 'profile' ? agent.profile : agent.kind;
  const profile = policy.profiles.get(name);
  if (!profile) return { refused: `the rig names the agent profile ${JSON.stringify(name)}, which this runner does not know (it knows ${profileNames(policy)})` };
  const problems = profile.passEnv.map((n) => passEnvProblem(n, policy)).filter((p) => p !== null);
  if (problems.length > 0) return { refused: `the profile ${name} passes variables the operator does not allow: ${problems.join('; ')}` };
  const runnable: RunnableAgent =
    profile.run.kind === 'demo' ? { kind: 'demo' } : { kind: 'command', command: [...profile.run.command], stdin: profile.run.stdin, passEnv: [...profile.passEnv] };
  return { ...runnable, profile: name, network: profile.network, timeoutMs: timeout(profile.timeoutMs) };
}

/**
 * The runner's variables every agent gets: what a program needs to find its tools, its home
 * directory, a locale and a proxy. Anything else of the runner's environment (NATS credentials,
 * other systems' tokens) reaches an agent only when the rig names it in `passEnv`.
 */
const BASELINE_ENV = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'TERM',
  'TMPDIR',
  'TZ',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'NODE_EXTRA_CA_CERTS',
];

export interface AgentEnvironment {
  readonly env: Record<string, string>;
  /** `passEnv` names the runner's environment does not have: the agent starts without them. */
  readonly missing: readonly string[];
  /** `passEnv` names that are never handed over: infrastructure variables (see isInfrastructureEnv). */
  readonly refused: readonly string[];
  /** Values handed over through `passEnv` (API keys): never to be repeated in a report or a log. */
  readonly secrets: readonly string[];
}

/** The agent's environment: the baseline, plus each `passEnv` name resolved from the runner's own environment. */
export function agentEnvironment(config: AgentConfig, runnerEnv: Readonly<Record<string, string | undefined>>): AgentEnvironment {
  const env: Record<string, string> = {};
  for (const name of BASELINE_ENV) {
    const value = runnerEnv[name];
    if (value !== undefined) env[name] = value;
  }
  const missing: string[] = [];
  const refused: string[] = [];
  const secrets: string[] = [];
  for (const name of config.kind === 'command' ? config.passEnv : []) {
    // Whatever resolved this agent, the runner's own credentials and git locations stay here.
    if (isInfrastructureEnv(name)) {
      refused.push(name);
      continue;
    }
    const value = runnerEnv[name];
    if (value === undefined) {
      missing.push(name);
      continue;
    }
    env[name] = value;
    if (!BASELINE_ENV.includes(name) && value !== '') secrets.push(value);
  }
  return { env, missing, refused, secrets };
}

/** Replaces `{prompt}` and `{workdir}` in every argument; the result goes to the program as argv, never to a shell. */
export function expandCommand(argv: readonly string[], values: { prompt: string; workdir: string }): string[] {
  // One pass, so a path that itself contains "{workdir}" is not expanded again.
  return argv.map((arg) => arg.replace(/\{(prompt|workdir)\}/g, (_, key: 'prompt' | 'workdir') => values[key]));
}

/**
 * Recipes for real coding agents, as entries of the operator's profile catalogue
 * (GASTOWN_AGENT_PROFILES). Each one reads the task from the prompt file (by path or on standard
 * input), runs with the worktree as its current directory, and is started without a shell.
 * Flags were checked against each tool's documentation, not run here; the notes say where a
 * version may differ. Each names the API key variables its tool reads in `passEnv` (the operator
 * must also list them in GASTOWN_AGENT_PASS_ENV_ALLOWED) and asks for the network, since each
 * calls its model's API.
 *
 * - **Claude Code**: `claude -p` reads the prompt from standard input when no prompt argument is
 *   given. `--permission-mode acceptEdits` lets it edit files without asking; shell commands it
 *   was not allowed to run are refused in print mode, so add e.g.
 *   `"--allowedTools", "Bash(npm test:*)"` for the test commands of the repository, or use
 *   `bypassPermissions` only inside a sandbox.
 * - **Codex CLI**: `codex exec -` reads the prompt from standard input. `--sandbox workspace-write`
 *   lets it edit the worktree; releases before that flag spell it `--full-auto` (now a deprecated
 *   alias). Its sandbox may keep it from committing in a linked worktree (the git metadata lives
 *   outside the worktree); the runner commits what it leaves.
 * - **Aider**: `--message-file {prompt}` runs one message and exits; `--yes-always` answers its
 *   confirmations. Aider writes `.aider*` history files and a tag cache into the repository root
 *   by default: the history files are sent to /dev/null here and `--no-gitignore` keeps it from
 *   editing `.gitignore`, but the `.aider.tags.cache.*` directory still appears, so the
 *   worktree should exclude `.aider*` (e.g. in `.git/info/exclude`). It commits its own edits.
 * - **opencode**: `opencode run` takes the message from standard input when no message argument
 *   is given (releases since mid-2025). Whether it asks before editing depends on the
 *   `permission` settings of the installation; a headless run needs them set to allow.
 */
export const AGENT_RECIPES = {
  claude: {
    command: ['claude', '-p', '--permission-mode', 'acceptEdits'],
    passEnv: ['ANTHROPIC_API_KEY'],
    stdin: 'prompt',
    network: true,
  },
  codex: {
    command: ['codex', 'exec', '--sandbox', 'workspace-write', '-'],
    passEnv: ['OPENAI_API_KEY'],
    stdin: 'prompt',
    network: true,
  },
  aider: {
    command: [
      'aider',
      '--yes-always',
      '--no-gitignore',
      '--chat-history-file',
      '/dev/null',
      '--input-history-file',
      '/dev/null',
      '--message-file',
      '{prompt}',
    ],
    passEnv: ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY'],
    network: true,
  },
  opencode: {
    command: ['opencode', 'run'],
    passEnv: ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY'],
    stdin: 'prompt',
    network: true,
  },
} satisfies Record<string, z.input<typeof AgentProfileInput>>;
