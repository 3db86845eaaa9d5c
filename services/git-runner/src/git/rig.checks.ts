import { spawn } from 'node:child_process';

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
}

export interface FailedCheck {
  name: string;
  /** Null when the process was killed by a signal or never started. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
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
  const tail = failed.outputTail.trim();
  return `check "${failed.name}" ${how}${tail ? `:\n${tail}` : ''}`;
}

/** Runs the checks one after another in `cwd` and stops at the first that fails. */
export async function runChecks(cwd: string, checks: Check[], options: ChecksOptions): Promise<ChecksResult> {
  for (const check of checks) {
    const failed = await runCheck(cwd, check, options);
    if (failed) return { ok: false, failed };
  }
  return { ok: true };
}

function runCheck(cwd: string, check: Check, { timeoutMs, env }: ChecksOptions): Promise<FailedCheck | undefined> {
  const [program, ...args] = check.command;
  if (!program) throw new Error(`check ${check.name} has no command`);
  return new Promise((settle) => {
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
    // Its own process group, so a timeout kills what the check started too (a test server, a watcher).
    const child = spawn(program, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, timeoutMs);
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (error) => {
      clearTimeout(timer);
      keep(Buffer.from(`${error.message}\n`));
      settle(failure({ exitCode: null, signal: null, timedOut: false }));
    });
    // 'close' waits for the pipes, which a leftover grandchild would hold open forever; the
    // group is killed at exit so nothing a check started outlives it, and the pipes then close.
    child.once('exit', () => killGroup(child.pid));
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      settle(exitCode === 0 && !timedOut ? undefined : failure({ exitCode, signal, timedOut }));
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch (error) {
    // ESRCH: the group is already gone.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
