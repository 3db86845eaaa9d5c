import type { Sandbox, SandboxProcess } from '../sandbox/sandbox';
import { restoreWorktreeGit, worktreeGit, type WorktreeGit } from '../sandbox/sandbox.git';

export interface Check {
  name: string;
  /** Program and arguments, run without a shell: `['npm', 'test']`, never `'npm test'`. */
  command: string[];
}

export interface ChecksOptions {
  /** Per check. */
  timeoutMs: number;
  /**
   * The whole environment of every check, not added to the runner's own: checks run code from
   * the repository, which must not see the runner's credentials. Pass PATH and whatever else they need.
   */
  env: Record<string, string>;
  /** Where checks run: the worktree, a toolchain, no network, a private /tmp and nothing else of the runner. */
  sandbox: Sandbox;
  /** The town the checks are for: its runs share the town's cgroup (see SandboxSpec.town). */
  townId?: string;
  /** Stops the running check and skips the rest: their result no longer matters (a speculative batch whose base went red). */
  signal?: AbortSignal;
}

export interface FailedCheck {
  name: string;
  /** Null when the process was killed by a signal or never started. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** The sandbox's resource limit the check reached, when it reached one. */
  limit?: string;
  /** The last ~4 KB of stdout and stderr, interleaved as written: where test runners print the failure. */
  outputTail: string;
}

export interface ChecksResult {
  ok: boolean;
  failed?: FailedCheck;
}

const TAIL_BYTES = 4096;

/**
 * What checks may see of the runner's environment: enough to find and run a toolchain, nothing
 * that opens another system (NATS, the rig's credentials, agents' API keys).
 */
const CHECK_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'TZ'];

/** The environment for `runChecks`, taken from the runner's own. */
export function checkEnvironment(runnerEnv: Readonly<Record<string, string | undefined>> = process.env): Record<string, string> {
  const env: Record<string, string> = { CI: 'true' };
  for (const name of CHECK_ENV) {
    const value = runnerEnv[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** One reason an agent can act on: which check, how it ended, and the end of its output. */
export function describeCheckFailure(failed: FailedCheck, timeoutMs: number): string {
  const how = failed.timedOut
    ? `timed out after ${timeoutMs / 1000}s`
    : failed.exitCode !== null
      ? `failed (exit ${failed.exitCode})`
      : failed.signal
        ? `was killed by ${failed.signal}`
        : 'could not start';
  const limit = failed.limit ? `, ${failed.limit}` : '';
  const tail = failed.outputTail.trim();
  return `check "${failed.name}" ${how}${limit}${tail ? `:\n${tail}` : ''}`;
}

/** Runs the checks one after another in `cwd` and stops at the first that fails. */
export async function runChecks(cwd: string, checks: Check[], options: ChecksOptions): Promise<ChecksResult> {
  // Read-only, so `git diff --exit-code` can be a check; the pointers are put back after each
  // check, which could rewrite the worktree's `.git` file before the runner's git meets it again.
  const git = await worktreeGit(cwd);
  for (const check of checks) {
    if (options.signal?.aborted) return { ok: false, failed: { name: check.name, exitCode: null, signal: null, timedOut: false, outputTail: 'stopped: its result was no longer needed' } };
    const failed = await runCheck(cwd, check, git, options).finally(() => (git ? restoreWorktreeGit(git) : undefined));
    if (failed) return { ok: false, failed };
  }
  return { ok: true };
}

async function runCheck(cwd: string, check: Check, git: WorktreeGit | undefined, options: ChecksOptions): Promise<FailedCheck | undefined> {
  const { timeoutMs, env, sandbox, townId } = options;
  if (!check.command[0]) throw new Error(`check ${check.name} has no command`);
  let tail = Buffer.alloc(0);
  const keep = (chunk: Buffer) => {
    tail = Buffer.concat([tail, chunk]);
    if (tail.length > TAIL_BYTES) tail = tail.subarray(tail.length - TAIL_BYTES);
  };
  const failure = (fields: Omit<FailedCheck, 'name' | 'outputTail'>): FailedCheck => ({
    name: check.name,
    ...fields,
    outputTail: tail.toString('utf8'),
  });
  let started: SandboxProcess;
  try {
    // Its own process group, so a timeout kills what the check started too (a test server, a watcher).
    started = await sandbox.spawn({ argv: check.command, worktree: cwd, git, env, network: false, town: townId, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    keep(Buffer.from(`${(error as Error).message}\n`));
    return failure({ exitCode: null, signal: null, timedOut: false });
  }
  started.child.stdout?.on('data', keep);
  started.child.stderr?.on('data', keep);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    started.signal('SIGKILL');
  }, timeoutMs);
  const stop = () => started.signal('SIGKILL');
  options.signal?.addEventListener('abort', stop, { once: true });
  // 'close' waits for the pipes, which a leftover grandchild would hold open forever; the
  // group is killed at exit so nothing a check started outlives it, and the pipes then close.
  void started.exited.then(() => started.signal('SIGKILL'));
  const { code, signal, limit } = await started.closed;
  clearTimeout(timer);
  options.signal?.removeEventListener('abort', stop);
  return code === 0 && !timedOut ? undefined : failure({ exitCode: code, signal, timedOut, ...(limit ? { limit } : {}) });
}
