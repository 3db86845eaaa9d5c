import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, open, readFile, realpath, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { redactCredentials } from '@gastown/contracts';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Sandbox, SandboxProcess } from '../sandbox/sandbox';
import { restoreWorktreeGit, worktreeGit, type WorktreeGit } from '../sandbox/sandbox.git';
import { agentEnvironment, expandCommand, type AgentConfig, type AgentEnvironment } from './agent.config';

export interface RunAgentOptions {
  readonly config: AgentConfig;
  /** How long the agent may run before its process group is stopped (the rig's `agentTimeoutMs`). */
  readonly timeoutMs: number;
  /** The bead's git worktree; the agent's current directory. */
  readonly workdir: string;
  readonly prompt: string;
  /** Where the prompt file is written; must be outside the worktree, or the prompt would be committed. */
  readonly promptDir: string;
  /** The attempt's full log: stdout and stderr of the agent, appended. Must be outside the worktree. */
  readonly outputFile: string;
  /**
   * The runner's own environment. The agent gets a baseline of it (PATH, HOME, locale, proxies)
   * plus the variables its configuration names in `passEnv`, and the runner's own variables.
   */
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Where the agent runs: it sees the worktree, its prompt and a toolchain, and nothing else of
   * the runner; the network only when its configuration (an operator's profile) says `network`.
   */
  readonly sandbox: Sandbox;
  /** The town the attempt is for: its runs share the town's cgroup (see SandboxSpec.town). */
  readonly townId?: string;
  /** Aborting stops the agent as a timeout does; the outcome then says `cancelled`. */
  readonly signal?: AbortSignal;
  /**
   * Called once the process runs, with its pid (also its process group id). Callbacks handle
   * their own failures: one that throws stops the agent, and runAgent rejects with its error.
   */
  readonly onStarted?: (pid: number) => void;
  /** Called every `heartbeatMs` while the agent process lives; throwing stops the agent as above. */
  readonly onHeartbeat?: () => void;
  readonly heartbeatMs?: number;
  /** How long the agent's process group gets between SIGTERM and SIGKILL. */
  readonly killGraceMs?: number;
}

export interface AgentOutcome {
  /** The agent's exit code; null when a signal ended it. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly cancelled: boolean;
  /** The sandbox's resource limit the agent reached ("memory limit 2048 MB reached…"), when it reached one. */
  readonly limit?: string;
  /** From the start until the agent and everything left in its process group are gone. */
  readonly durationMs: number;
  /** The last ~4 KB of this attempt's log (agent output and the runner's [gastown] notes), for failure reasons. */
  readonly outputTail: string;
  /** The prompt as the agent received it, kept for the record. */
  readonly promptFile: string;
}

/** The agent could not be started at all (a program that does not exist, a missing worktree). */
export class AgentStartError extends Error {
  override readonly name = 'AgentStartError';
}

const TAIL_BYTES = 4096;
const GROUP_POLL_MS = 25;

let workspaceRoot: string | undefined;

/** The monorepo root, found by walking up rather than by a fixed depth, so it survives a move of this file. */
function findWorkspaceRoot(): string {
  if (workspaceRoot) return workspaceRoot;
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'tsconfig.base.json'))) return (workspaceRoot = dir);
    if (dirname(dir) === dir) throw new AgentStartError(`no tsconfig.base.json above ${__dirname}: cannot start the demo agent`);
  }
}

function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!isAbsolute(rel) && rel.split(sep)[0] !== '..');
}

interface Launch {
  readonly program: string;
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  readonly stdinFromPrompt: boolean;
  /** What the agent reads besides the worktree: its prompt, and for the demo agent its one-file script. */
  readonly readOnly: readonly string[];
}

/**
 * The runner's build (dist/services/git-runner) holds the demo agent compiled beside it as one
 * self-contained file; run from sources, this module is still TypeScript.
 */
const COMPILED_DEMO_AGENT = __filename.endsWith('.ts') ? null : join(__dirname, 'demo-agent.main.js');

let sourceDemoAgent: Promise<string> | undefined;

/**
 * Run from sources, the runner bundles the demo agent once, as the build does, into a file of its
 * own that plain node starts in about 0.15 s. Compiled through @swc-node/register at each start it
 * took about 0.9 s of CPU per attempt, which on a small machine slowed every other attempt too.
 */
function demoAgentScript(): Promise<string> {
  if (COMPILED_DEMO_AGENT) return Promise.resolve(COMPILED_DEMO_AGENT);
  sourceDemoAgent ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gastown-demo-agent-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const script = join(dir, 'demo-agent.main.js');
    const bundler = join(findWorkspaceRoot(), 'tools', 'workspace', 'src', 'build', 'standalone.bundle.js');
    await promisify(execFile)(process.execPath, [bundler, join(__dirname, 'demo-agent.main.ts'), script]);
    return script;
  })().catch((error: unknown) => {
    sourceDemoAgent = undefined;
    throw new AgentStartError(`the demo agent could not be bundled from its sources: ${(error as Error).message}`);
  });
  return sourceDemoAgent;
}

async function launchFor(config: AgentConfig, { env }: AgentEnvironment, workdir: string, promptFile: string): Promise<Launch> {
  const own = { GASTOWN_PROMPT_FILE: promptFile, GASTOWN_WORKDIR: workdir };
  if (config.kind === 'demo') {
    const script = await demoAgentScript();
    return { program: process.execPath, args: [script, promptFile], env: { ...env, ...own }, stdinFromPrompt: false, readOnly: [promptFile, script] };
  }
  const [program = '', ...args] = expandCommand(config.command, { prompt: promptFile, workdir });
  return { program, args, env: { ...env, ...own }, stdinFromPrompt: config.stdin === 'prompt', readOnly: [promptFile] };
}

async function prepareFiles(options: RunAgentOptions): Promise<{ workdir: string; promptFile: string; outputFile: string }> {
  let workdir: string;
  try {
    workdir = await realpath(options.workdir);
    if (!(await stat(workdir)).isDirectory()) throw new Error('not a directory');
  } catch (error) {
    throw new AgentStartError(`the worktree ${options.workdir} is not a usable directory: ${(error as Error).message}`);
  }
  await mkdir(options.promptDir, { recursive: true });
  const promptDir = await realpath(options.promptDir);
  if (isInside(workdir, promptDir)) {
    throw new AgentStartError(`the prompt directory ${options.promptDir} is inside the worktree: the prompt would be committed`);
  }
  await mkdir(dirname(options.outputFile), { recursive: true });
  const outputFile = join(await realpath(dirname(resolve(options.outputFile))), basename(options.outputFile));
  if (isInside(workdir, outputFile)) {
    throw new AgentStartError(`the output file ${options.outputFile} is inside the worktree: the log would be committed`);
  }
  const promptFile = join(promptDir, `prompt-${Date.now()}-${randomUUID().slice(0, 8)}.md`);
  await writeFile(promptFile, options.prompt, { flag: 'wx', mode: 0o600 });
  return { workdir, promptFile, outputFile };
}

/** Polls because no event reports that a process group (or a sandbox's namespace) became empty. */
async function allGone(running: SandboxProcess, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (running.running()) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, GROUP_POLL_MS));
  }
  return true;
}

/**
 * SIGTERM to the whole group, SIGKILL after the grace period. Resolves once nothing of the agent
 * runs, or after a second grace period when something cannot be reaped (then the log says so).
 */
async function stopGroup(running: SandboxProcess, graceMs: number, note: (line: string) => Promise<void>, why: string): Promise<void> {
  const { pid } = running;
  running.signal('SIGTERM');
  await note(`${why}: sent SIGTERM to process group ${pid}`);
  if (await allGone(running, graceMs)) return;
  running.signal('SIGKILL');
  await note(`process group ${pid} still running ${graceMs} ms after SIGTERM: sent SIGKILL`);
  if (!(await allGone(running, graceMs))) await note(`process group ${pid} still exists ${graceMs} ms after SIGKILL`);
}

/** The end of the log since `from`, decoded without a broken character at its start. */
async function readTail(file: string, from: number): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const start = Math.max(from, size - TAIL_BYTES);
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(size - start), 0, size - start, start);
    let first = 0;
    // Skip UTF-8 continuation bytes (10xxxxxx) left over from a character cut by the window.
    while (first < bytesRead && ((buffer[first] ?? 0) & 0xc0) === 0x80) first++;
    return buffer.subarray(first, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

interface Placement {
  readonly sandbox: Sandbox;
  readonly town: string | undefined;
  readonly network: boolean;
  readonly workdir: string;
  readonly git: WorktreeGit | undefined;
  readonly outputFile: string;
  readonly promptFile: string;
}

async function start(launch: Launch, { sandbox, town, network, workdir, git, outputFile, promptFile }: Placement): Promise<SandboxProcess> {
  let log: FileHandle | undefined;
  let stdin: FileHandle | undefined;
  try {
    log = await open(outputFile, 'a');
    stdin = launch.stdinFromPrompt ? await open(promptFile, 'r') : undefined;
    // Its own process group, so a timeout or cancellation reaches everything it started.
    return await sandbox.spawn({
      argv: [launch.program, ...launch.args],
      worktree: workdir,
      readOnly: launch.readOnly,
      git,
      gitWritable: true,
      env: launch.env,
      network,
      town,
      // The log file itself, not pipes: output written by leftover grandchildren after the
      // agent exits cannot keep a pipe (and the runner) waiting, and nothing is lost on a crash.
      stdio: [stdin?.fd ?? 'ignore', log.fd, log.fd],
    });
  } finally {
    // The child holds its own copies of these descriptors.
    await log?.close();
    await stdin?.close();
  }
}

/**
 * Runs one coding agent for one attempt and resolves once it and every process it started in
 * its process group are gone. The prompt reaches the agent as a file (path in `{prompt}` and
 * GASTOWN_PROMPT_FILE, or on stdin); no shell is involved, so nothing in a bead's text is ever
 * interpreted as a command.
 */
export async function runAgent(options: RunAgentOptions): Promise<AgentOutcome> {
  const { config, signal, heartbeatMs = 5_000, killGraceMs = 5_000 } = options;
  const { workdir, promptFile, outputFile } = await prepareFiles(options);
  const environment = agentEnvironment(config, options.env);
  const launch = await launchFor(config, environment, workdir, promptFile);
  const git = await worktreeGit(workdir);
  let logError: unknown;
  // Stopping the agent must never wait on a failed log write; the failure is reported at the end.
  const note = async (line: string) => {
    try {
      await appendFile(outputFile, `[gastown] ${new Date().toISOString()} ${line}\n`);
    } catch (error) {
      logError ??= error;
    }
  };
  const outcome = (fields: Pick<AgentOutcome, 'exitCode' | 'signal' | 'timedOut' | 'cancelled' | 'limit' | 'durationMs'>, tail: string) => ({
    ...fields,
    outputTail: tail,
    promptFile,
  });

  const from = existsSync(outputFile) ? (await stat(outputFile)).size : 0;
  const label = config.kind === 'demo' ? 'the demo agent' : basename(launch.program);
  if (signal?.aborted) {
    await note(`cancelled before ${label} was started`);
    return outcome({ exitCode: null, signal: null, timedOut: false, cancelled: true, durationMs: 0 }, await readTail(outputFile, from));
  }
  const { missing, refused } = environment;
  // Names only: the values are the secrets passEnv exists for.
  if (missing.length > 0) await note(`passEnv names not set in the runner's environment: ${missing.join(', ')}`);
  if (refused.length > 0) await note(`passEnv names never handed to an agent (they would point git elsewhere): ${refused.join(', ')}`);
  await note(`starting ${label}`);

  const started = Date.now();
  let running: SandboxProcess;
  try {
    running = await start(launch, { sandbox: options.sandbox, town: options.townId, network: config.network === true, workdir, git, outputFile, promptFile });
  } catch (error) {
    await note(`could not start ${label}: ${(error as Error).message}`);
    throw new AgentStartError(`could not start ${label} (${launch.program}): ${(error as Error).message}`);
  }
  const { pid, exited } = running;
  let alive = true;
  let stopReason: 'timeout' | 'abort' | 'callback' | null = null;
  let callbackError: unknown;
  let stopping: Promise<void> | undefined;

  const stop = (reason: 'timeout' | 'abort' | 'callback', why: string) => {
    if (!alive || stopReason) return;
    stopReason = reason;
    stopping = stopGroup(running, killGraceMs, note, why);
  };
  // A callback that throws is a bug in the caller; the agent is stopped rather than left running unobserved.
  const call = (callback: () => void) => {
    try {
      callback();
    } catch (error) {
      callbackError ??= error;
      stop('callback', `a runner callback failed (${(error as Error).message})`);
    }
  };

  const { timeoutMs } = options;
  const timer = setTimeout(() => stop('timeout', `timed out after ${timeoutMs} ms`), timeoutMs);
  const onAbort = () => stop('abort', 'cancelled');
  signal?.addEventListener('abort', onAbort, { once: true });
  const heartbeat = options.onHeartbeat;
  const beat = heartbeat ? setInterval(() => call(heartbeat), heartbeatMs) : undefined;
  const onStarted = options.onStarted;
  if (onStarted) call(() => onStarted(pid));

  const exit = await exited;
  alive = false;
  clearTimeout(timer);
  clearInterval(beat);
  signal?.removeEventListener('abort', onAbort);
  if (stopping) {
    await stopping;
  } else if (running.running()) {
    // The agent is done but left processes behind (a dev server, a watcher): they would hold the
    // worktree and outlive the attempt.
    await stopGroup(running, killGraceMs, note, 'exited, leaving processes behind');
  }
  // Before the runner's own git runs in the worktree again (commitAll), with nothing of the agent left to undo it.
  if (git) await restoreWorktreeGit(git).catch((error: unknown) => (logError ??= error));
  const durationMs = Date.now() - started;
  await note(`finished after ${durationMs} ms: ${exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`}${exit.limit ? `; ${exit.limit}` : ''}`);
  await redactLog(outputFile, from, environment.secrets).catch((error: unknown) => (logError ??= error));
  if (stopReason === 'callback') throw callbackError;
  if (logError) throw logError;
  return outcome(
    {
      exitCode: exit.code,
      signal: exit.signal,
      timedOut: stopReason === 'timeout',
      cancelled: stopReason === 'abort',
      ...(exit.limit ? { limit: exit.limit } : {}),
      durationMs,
    },
    await readTail(outputFile, from),
  );
}

/**
 * The log stays on the runner's disk after the attempt: what the agent printed of the values
 * passEnv handed it (API keys) or of credentials in URLs must not stay there either. Only this
 * attempt's part is rewritten, once its whole process group is gone and nothing writes any more.
 */
async function redactLog(outputFile: string, from: number, secrets: readonly string[]): Promise<void> {
  const log = await readFile(outputFile);
  const attempt = log.subarray(from).toString('utf8');
  const redacted = redactCredentials(attempt, secrets);
  if (redacted !== attempt) await writeFile(outputFile, Buffer.concat([log.subarray(0, from), Buffer.from(redacted)]));
}
