import { z } from 'zod';

export const DEFAULT_AGENT_TIMEOUT_MS = 30 * 60_000;
const MIN_TIMEOUT_MS = 1_000;
const MAX_TIMEOUT_MS = 24 * 60 * 60_000;

/** Variables the runner sets itself; a configuration may not override them. */
export const RUNNER_ENV = ['GASTOWN_PROMPT_FILE', 'GASTOWN_WORKDIR'] as const;

const timeoutMs = z
  .number({ error: `must be a number of milliseconds` })
  .int({ error: 'must be a whole number of milliseconds' })
  .min(MIN_TIMEOUT_MS, { error: `must be at least ${MIN_TIMEOUT_MS} ms` })
  .max(MAX_TIMEOUT_MS, { error: `must be at most ${MAX_TIMEOUT_MS} ms (24 h)` })
  .default(DEFAULT_AGENT_TIMEOUT_MS);

const command = z
  .array(z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }), {
    error: 'must be an array of strings: the program, then each argument',
  })
  .min(1, { error: 'must name the program, then each argument, e.g. ["aider", "--message-file", "{prompt}"]' })
  .superRefine((argv, ctx) => {
    // No shell runs the command, so "claude -p" as one string would look for a program of that name.
    if (argv.length === 1 && /\s/.test(argv[0] ?? '')) {
      ctx.addIssue({
        code: 'custom',
        path: [0],
        message: 'contains spaces: no shell is used, so list the program and each argument as separate strings',
      });
    }
  });

const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'is not a valid variable name (letters, digits, _)' })
  .refine((name) => !(RUNNER_ENV as readonly string[]).includes(name), {
    error: 'is set by the runner for every attempt and cannot be configured',
  });

// Problems name the variable only: values may be credentials and are never repeated in a message.
const env = z.record(envName, z.string({ error: 'must be a string' }));

const DemoAgentConfig = z.strictObject({
  kind: z.literal('demo'),
  timeoutMs,
});

const CommandAgentConfig = z.strictObject({
  kind: z.literal('command'),
  /** argv of the agent. `{prompt}` becomes the prompt file's path, `{workdir}` the worktree, anywhere in an argument. */
  command,
  /** Extra variables on top of the runner's environment (API keys, model names). */
  env: env.optional(),
  /**
   * `prompt` connects the prompt file to the agent's standard input, for agents that read their
   * task from there; `none` gives it an empty input (/dev/null), so agents that read stdin when
   * it is not a terminal do not wait for input that never comes.
   */
  stdin: z.enum(['none', 'prompt'], { error: 'must be "none" or "prompt"' }).default('none'),
  timeoutMs,
});

/** How the runner starts a coding agent for one attempt at one bead. */
export const AgentConfig = z.discriminatedUnion('kind', [DemoAgentConfig, CommandAgentConfig], {
  error: (issue) => (issue.code === 'invalid_union' ? 'must be "demo" or "command"' : undefined),
});
export type AgentConfig = z.infer<typeof AgentConfig>;
/** What a person writes: defaults may be left out. */
export type AgentConfigInput = z.input<typeof AgentConfig>;
export type CommandAgentConfig = z.infer<typeof CommandAgentConfig>;

export class AgentConfigError extends Error {
  override readonly name = 'AgentConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid agent configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

function fieldPath(name: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : `${text}.${String(key)}`),
    name,
  );
}

/** Validates an agent configuration; every problem names its field, starting with `name`. */
export function parseAgentConfig(input: unknown, name = 'agent'): AgentConfig {
  const parsed = AgentConfig.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new AgentConfigError(
    parsed.error.issues.flatMap((issue) => {
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((key) => `${fieldPath(name, [...issue.path, key])} is not a known field`);
      }
      // A bad record key carries its own issues; the generic "Invalid key in record" says nothing.
      if (issue.code === 'invalid_key') return issue.issues.map((inner) => `${fieldPath(name, issue.path)} ${inner.message}`);
      return [`${fieldPath(name, issue.path)} ${issue.message}`];
    }),
  );
}

/** The same, for a configuration given as JSON text (an environment variable or a file). */
export function parseAgentConfigJson(text: string, name = 'agent'): AgentConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new AgentConfigError([`${name} must be JSON (${(error as Error).message})`]);
  }
  return parseAgentConfig(value, name);
}

/** Replaces `{prompt}` and `{workdir}` in every argument; the result goes to the program as argv, never to a shell. */
export function expandCommand(argv: readonly string[], values: { prompt: string; workdir: string }): string[] {
  // One pass, so a path that itself contains "{workdir}" is not expanded again.
  return argv.map((arg) => arg.replace(/\{(prompt|workdir)\}/g, (_, key: 'prompt' | 'workdir') => values[key]));
}

/**
 * Recipes for real coding agents, as JSON-ready configurations. Each one reads the task from
 * the prompt file (by path or on standard input), runs with the worktree as its current
 * directory, and is started without a shell. Credentials come from the runner's environment or
 * `env` (e.g. ANTHROPIC_API_KEY, OPENAI_API_KEY). Flags were checked against each tool's
 * documentation, not run here; the notes say where a version may differ.
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
  claudeCode: {
    kind: 'command',
    command: ['claude', '-p', '--permission-mode', 'acceptEdits'],
    stdin: 'prompt',
  },
  codex: {
    kind: 'command',
    command: ['codex', 'exec', '--sandbox', 'workspace-write', '-'],
    stdin: 'prompt',
  },
  aider: {
    kind: 'command',
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
  },
  opencode: {
    kind: 'command',
    command: ['opencode', 'run'],
    stdin: 'prompt',
  },
} satisfies Record<string, AgentConfigInput>;
