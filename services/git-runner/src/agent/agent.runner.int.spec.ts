import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { eventually } from '@gastown/testing';
import { AgentConfig } from '@gastown/contracts';
import { UnconfinedSandbox } from '../sandbox/sandbox.none';
import { hostProcessesWith, testSandbox } from '../sandbox/testing/sandbox.testing';
import type { AgentConfigInput } from './agent.config';
import { buildPrompt } from './agent.prompt';
import { AgentStartError, runAgent, type AgentOutcome, type RunAgentOptions } from './agent.runner';
import { beadFilePath } from './demo.agent';

/** What `process.kill(pid, 0)` says about a process: 'alive', or the error code (ESRCH: gone). */
function probe(pid: number): string {
  try {
    process.kill(pid, 0);
    return 'alive';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'unknown';
  }
}

describe('runAgent with real processes in the sandbox', () => {
  let root: string;
  let workdir: string;
  let promptDir: string;
  let outputFile: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'gt-agent-'));
    workdir = join(root, 'worktree');
    promptDir = join(root, 'prompts');
    outputFile = join(root, 'logs', 'attempt-1.log');
    await mkdir(workdir);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const beadId = randomUUID();

  function promptFor(title: string, body = '', attempt = 1, previousReason: string | null = null): string {
    return buildPrompt({
      convoyTitle: 'Runner tests',
      bead: { id: beadId, title, body },
      blockers: [],
      previousReason,
      attempt,
      branch: 'gt/runner-tests/bead',
      baseBranch: 'main',
    });
  }

  function run(config: AgentConfigInput, prompt: string, extra: Partial<RunAgentOptions> = {}): Promise<AgentOutcome> {
    const options = { config: AgentConfig.parse(config), timeoutMs: 30_000, workdir, prompt, promptDir, outputFile, env: process.env };
    return runAgent({ ...options, sandbox, ...extra });
  }

  const sandbox = testSandbox();

  /** Once the hanging demo agent reports its grandchild (whose pid is one of the sandbox's own namespace). */
  async function grandchildStarted(): Promise<void> {
    await eventually('the hanging demo agent to report its grandchild', async () =>
      /grandchild pid (\d+)/.test(await readFile(outputFile, 'utf8').catch(() => '')),
    );
  }

  /** Host processes of this test's agent, found by the worktree every one of them has in GASTOWN_WORKDIR. */
  const agentProcesses = () => hostProcessesWith(`GASTOWN_WORKDIR=${workdir}\0`);

  it('given a bead, when the demo agent runs, then it writes its file in the worktree and exits 0', async () => {
    let startedPid: number | undefined;
    const outcome = await run({ kind: 'demo' }, promptFor('Add a header', 'Every page.\ndemo:edit src/header.txt HEADER'), {
      onStarted: (pid) => (startedPid = pid),
    });

    expect(outcome).toMatchObject({ exitCode: 0, signal: null, timedOut: false, cancelled: false });
    expect(startedPid).toEqual(expect.any(Number));
    expect(await readFile(join(workdir, beadFilePath(beadId)), 'utf8')).toBe('# Add a header\n\nEvery page.\ndemo:edit src/header.txt HEADER\n');
    expect(await readFile(join(workdir, 'src/header.txt'), 'utf8')).toBe('HEADER\n');
    expect(outcome.outputTail).toContain(`demo agent: wrote ${beadFilePath(beadId)}`);
    expect(await readFile(outputFile, 'utf8')).toMatch(/finished after \d+ ms: exit code 0/);
  });

  it('given a title full of shell syntax, when the demo agent runs, then the text arrives literally and nothing is executed', async () => {
    const tag = randomBytes(6).toString('hex');
    const markers = [1, 2, 3].map((n) => join(tmpdir(), `pwned-${tag}-${n}`));
    const sentinel = join(root, 'must-survive');
    await mkdir(sentinel);
    const title = `Fix $(touch ${markers[0]}) and \`touch ${markers[1]}\`; rm -rf ${sentinel}; echo "x" 'y' > ${markers[2]} && exit 7 | $HOME`;

    const outcome = await run({ kind: 'demo' }, promptFor(title, `$(touch ${markers[0]})`));

    expect(outcome.exitCode).toBe(0);
    expect(await readFile(outcome.promptFile, 'utf8')).toContain(`# Task: ${title}\n`);
    expect(await readFile(join(workdir, beadFilePath(beadId)), 'utf8')).toBe(`# ${title}\n\n$(touch ${markers[0]})\n`);
    expect(markers.filter((m) => existsSync(m))).toEqual([]);
    expect(existsSync(sentinel)).toBe(true);
  });

  it('given a rework after a conflict, when the demo agent runs, then its edit lands on top of the other bead\'s', async () => {
    await writeFile(join(workdir, 'shared.txt'), 'from the other bead\n');

    const outcome = await run({ kind: 'demo' }, promptFor('Edit shared', 'demo:edit shared.txt from this bead', 2, 'merge conflict in shared.txt'));

    expect(outcome.exitCode).toBe(0);
    expect(await readFile(join(workdir, 'shared.txt'), 'utf8')).toBe('from the other bead\nfrom this bead\n');
  });

  it('given demo:fail, when the demo agent runs, then the exit code is 1 and the tail holds its message', async () => {
    const outcome = await run({ kind: 'demo' }, promptFor('Break', 'demo:fail'));

    expect(outcome).toMatchObject({ exitCode: 1, signal: null, timedOut: false, cancelled: false });
    expect(outcome.outputTail).toContain(`demo agent: failing as told by demo:fail (bead ${beadId}, attempt 1)`);
    expect(existsSync(join(workdir, 'beads'))).toBe(false);
  });

  // Long enough for the demo agent to start (node compiles its TypeScript) on a loaded machine.
  it('given demo:hang and a 6 s timeout, when the time is up, then the agent and its grandchild are gone', async () => {
    let pid = 0;
    const outcome = await run({ kind: 'demo' }, promptFor('Hang', 'demo:hang'), { timeoutMs: 6_000, onStarted: (p) => (pid = p) });

    expect(outcome).toMatchObject({ exitCode: null, signal: 'SIGTERM', timedOut: true, cancelled: false });
    expect(outcome.durationMs).toBeGreaterThanOrEqual(6_000);
    await grandchildStarted();
    expect({ agent: probe(pid), left: agentProcesses() }).toEqual({ agent: 'ESRCH', left: [] });
    expect(outcome.outputTail).toMatch(/timed out after 6000 ms: sent SIGTERM to process group \d+/);
  });

  it('given a running agent, when the signal aborts, then it is cancelled and its whole group is gone', async () => {
    const controller = new AbortController();
    let pid = 0;
    const running = run({ kind: 'demo' }, promptFor('Hang', 'demo:hang'), { signal: controller.signal, onStarted: (p) => (pid = p) });
    await grandchildStarted();
    expect(agentProcesses().length).toBeGreaterThanOrEqual(2);

    controller.abort();
    const outcome = await running;

    expect(outcome).toMatchObject({ exitCode: null, signal: 'SIGTERM', timedOut: false, cancelled: true });
    expect({ agent: probe(pid), left: agentProcesses() }).toEqual({ agent: 'ESRCH', left: [] });
  });

  it('given a signal aborted before the start, when run, then nothing is started and the outcome is cancelled', async () => {
    const onStarted = jest.fn();
    const outcome = await run({ kind: 'demo' }, promptFor('Never'), { signal: AbortSignal.abort(), onStarted });

    expect(outcome).toMatchObject({ exitCode: null, signal: null, cancelled: true, durationMs: 0 });
    expect(onStarted).not.toHaveBeenCalled();
    expect(await readdir(workdir)).toEqual([]);
  });

  it('given a run, when the prompt is written, then it lies in the prompt directory and never in the worktree', async () => {
    const outcome = await run({ kind: 'demo' }, promptFor('Where is the prompt'));

    expect(outcome.promptFile.startsWith(join(promptDir, 'prompt-'))).toBe(true);
    expect(await readdir(workdir)).toEqual(['beads']);
  });

  it('given a prompt directory or log inside the worktree, when run, then it is refused before anything starts', async () => {
    await expect(run({ kind: 'demo' }, promptFor('x'), { promptDir: join(workdir, '.prompts') })).rejects.toThrow(
      new AgentStartError(`the prompt directory ${join(workdir, '.prompts')} is inside the worktree: the prompt would be committed`),
    );
    await expect(run({ kind: 'demo' }, promptFor('x'), { outputFile: join(workdir, 'agent.log') })).rejects.toThrow(
      /the output file .* is inside the worktree/,
    );
    expect(existsSync(join(workdir, 'beads'))).toBe(false);
  });

  it('given a running agent, when time passes, then heartbeats arrive until it ends', async () => {
    const controller = new AbortController();
    let beats = 0;
    const outcome = await run({ kind: 'demo' }, promptFor('Hang', 'demo:hang'), {
      heartbeatMs: 50,
      signal: controller.signal,
      onHeartbeat: () => {
        beats += 1;
        if (beats === 3) controller.abort();
      },
    });

    expect(outcome.cancelled).toBe(true);
    expect(beats).toBeGreaterThanOrEqual(3);
  });

  it('given a callback that throws, when the agent runs, then the agent is stopped and the error is raised', async () => {
    let pid = 0;
    const running = run({ kind: 'demo' }, promptFor('Hang', 'demo:hang'), {
      onStarted: (p) => {
        pid = p;
        throw new Error('liveness store unreachable');
      },
    });

    await expect(running).rejects.toThrow('liveness store unreachable');
    // Stopped right after its start, before bwrap armed --die-with-parent: still nothing is left.
    expect({ agent: probe(pid), left: agentProcesses() }).toEqual({ agent: 'ESRCH', left: [] });
  });

  it('given a command agent, when run, then it gets the prompt path by placeholder and env, its passEnv, and nothing else of the runner', async () => {
    const script = [
      "const fs = require('fs');",
      "fs.writeFileSync('out.txt', fs.readFileSync(process.argv[1], 'utf8'));",
      "const pick = ['GASTOWN_PROMPT_FILE', 'GASTOWN_WORKDIR', 'AGENT_MODEL', 'RUNNER_SECRET', 'GIT_DIR'];",
      "fs.writeFileSync('env.json', JSON.stringify(Object.fromEntries(pick.map((k) => [k, process.env[k] ?? null]))));",
    ].join('\n');
    const prompt = promptFor('Command agent', 'Copy me; $(do not run me)');

    const outcome = await run(
      { kind: 'command', command: [process.execPath, '-e', script, '{prompt}'], passEnv: ['AGENT_MODEL', 'GIT_DIR', 'NOT_SET_ANYWHERE'] },
      prompt,
      { env: { ...process.env, AGENT_MODEL: 'small', RUNNER_SECRET: 'sk-runner', GIT_DIR: join(root, 'other-repo.git') } },
    );

    expect(outcome.exitCode).toBe(0);
    expect(await readFile(join(workdir, 'out.txt'), 'utf8')).toBe(prompt);
    expect(JSON.parse(await readFile(join(workdir, 'env.json'), 'utf8'))).toEqual({
      GASTOWN_PROMPT_FILE: outcome.promptFile,
      GASTOWN_WORKDIR: workdir,
      AGENT_MODEL: 'small',
      RUNNER_SECRET: null,
      GIT_DIR: null,
    });
    const log = await readFile(outputFile, 'utf8');
    expect(log).toContain("passEnv names not set in the runner's environment: NOT_SET_ANYWHERE");
    expect(log).toContain('passEnv names never handed to an agent (they would point git elsewhere): GIT_DIR');
    expect(log).not.toContain('small');
  });

  it('given an agent that prints the key passEnv handed it and a URL with a password, when it ends, then neither stays in its log on disk', async () => {
    const script = "console.log('using key ' + process.env.AGENT_API_KEY + ' against https://bot:hunter2-pass@git.example.com/web.git');";
    await mkdir(dirname(outputFile), { recursive: true });
    await writeFile(outputFile, 'an earlier attempt, already redacted\n');

    const outcome = await run({ kind: 'command', command: [process.execPath, '-e', script], passEnv: ['AGENT_API_KEY'] }, promptFor('Leaky agent'), {
      env: { ...process.env, AGENT_API_KEY: 'sk-live-0123456789abcdef' },
    });

    const log = await readFile(outputFile, 'utf8');
    expect(outcome.exitCode).toBe(0);
    expect(log).toContain('using key');
    expect(log).not.toContain('sk-live-0123456789abcdef');
    expect(log).not.toContain('hunter2-pass');
    expect(log.startsWith('an earlier attempt, already redacted\n')).toBe(true);
    expect(outcome.outputTail).not.toContain('sk-live-0123456789abcdef');
  });

  it('given stdin: prompt, when a command agent reads its standard input, then it gets the prompt', async () => {
    const prompt = promptFor('Read stdin', 'from standard input');
    const script = "require('fs').writeFileSync('stdin.txt', require('fs').readFileSync(0))";

    const outcome = await run({ kind: 'command', command: [process.execPath, '-e', script], stdin: 'prompt' }, prompt);

    expect(outcome.exitCode).toBe(0);
    expect(await readFile(join(workdir, 'stdin.txt'), 'utf8')).toBe(prompt);
  });

  it('given an agent that exits leaving a background process, when it ends, then the leftover is gone with its sandbox', async () => {
    const script = "const c = require('child_process').spawn('sleep', ['30'], { stdio: 'ignore' }); console.log('left pid ' + c.pid); process.exit(0);";

    const outcome = await run({ kind: 'command', command: [process.execPath, '-e', script] }, promptFor('Leave a process'));

    expect(outcome.exitCode).toBe(0);
    expect(outcome.outputTail).toMatch(/left pid \d+/);
    expect(agentProcesses()).toEqual([]);
  });

  it('given the unconfined sandbox and an agent that leaves a background process, when it ends, then the runner stops the leftover', async () => {
    const script = "const c = require('child_process').spawn('sleep', ['30'], { stdio: 'ignore' }); console.log('left pid ' + c.pid); process.exit(0);";

    const outcome = await run({ kind: 'command', command: [process.execPath, '-e', script] }, promptFor('Leave a process'), {
      sandbox: new UnconfinedSandbox(),
    });

    expect(outcome.exitCode).toBe(0);
    const left = Number(/left pid (\d+)/.exec(outcome.outputTail)?.[1]);
    expect(probe(left)).toBe('ESRCH');
    expect(outcome.outputTail).toContain('exited, leaving processes behind: sent SIGTERM');
  });

  it('given a program that exits at once, when run, then its exit is still observed', async () => {
    expect(await run({ kind: 'command', command: ['false'] }, promptFor('Exit at once'))).toMatchObject({ exitCode: 1, timedOut: false });
  });

  it('given a program that does not exist, when run, then it is refused as a start error and the log says why', async () => {
    await expect(run({ kind: 'command', command: [join(root, 'no-such-agent')] }, promptFor('x'))).rejects.toThrow(AgentStartError);
    expect(await readFile(outputFile, 'utf8')).toMatch(/could not start no-such-agent: spawn .* ENOENT/);
  });
});
