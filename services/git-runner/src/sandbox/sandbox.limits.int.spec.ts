import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentConfig } from '@gastown/contracts';
import { forkBomb } from '@gastown/testing';
import { runAgent, type AgentOutcome } from '../agent/agent.runner';
import { checkEnvironment, describeCheckFailure, runChecks } from '../git/rig.checks';
import { failureReason } from '../polecat/polecat.reason';
import type { SandboxSpec } from './sandbox';
import { cgroupMounts, findCgroupHost, ownCgroups } from './sandbox.cgroup';
import { worktreeGit } from './sandbox.git';
import type { SandboxLimits } from './sandbox.limits';
import { hostProcessesWith, removeEmptyCgroups, testSandbox } from './testing/sandbox.testing';

/**
 * A town's agent or check that abuses its host, against real bwrap and the host's real cgroups.
 * The limits are low so that the abuse stays small on a machine other work shares: 64 processes,
 * 128 MB, a fifth of a CPU.
 */
const LOW: Partial<SandboxLimits> = { memoryMb: 128, pids: 64, cpus: 0.2, tmpMb: 16, fileMb: 4 };
const NODE = process.execPath;
const POLL_MS = 10;

/** Waits for a condition the kernel reports without an event (a counter in a cgroup file). */
async function until(condition: () => boolean, what: string, withinMs = 15_000): Promise<void> {
  for (const deadline = Date.now() + withinMs; !condition(); ) {
    if (Date.now() > deadline) throw new Error(`not within ${withinMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** The pids cgroup a host process is in, as the kernel reports it: where a run's processes are counted. */
function pidsCgroupOf(pid: number): string {
  const mounts = cgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8'));
  const own = ownCgroups(readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
  const v1 = mounts.find((mount) => mount.fstype === 'cgroup' && mount.superOptions.includes('pids'));
  const mount = v1 ?? mounts.find((m) => m.fstype === 'cgroup2');
  const path = own.get(v1 ? 'pids' : '');
  if (!mount || path === undefined) throw new Error(`process ${pid} is in no pids cgroup`);
  return join(mount.mountPoint, path);
}

const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');

describe('the sandbox limits, against a town that abuses its host', () => {
  const sandbox = testSandbox({ limits: LOW, cgroups: 'required' });
  let worktree: string;
  let logs: string;

  beforeAll(() => {
    // A host without cgroups cannot run these; it says so instead of passing them quietly.
    const host = findCgroupHost();
    if ('unavailable' in host) throw new Error(`these specs need cgroups (run as root on a host with cgroup v1 or a delegated v2): ${host.unavailable}`);
    logs = mkdtempSync(join(tmpdir(), 'gt-limits-logs-'));
  });

  beforeEach(() => {
    worktree = mkdtempSync(join(tmpdir(), 'gt-limits-spec-'));
  });

  afterEach(() => rmSync(worktree, { recursive: true, force: true }));
  afterAll(() => {
    rmSync(logs, { recursive: true, force: true });
    removeEmptyCgroups();
  });

  const spec = (argv: string[]): SandboxSpec => ({ argv, worktree, env: { PATH: '/usr/bin:/bin' }, network: false, stdio: ['ignore', 'ignore', 'ignore'] });

  function agent(command: string[], timeoutMs = 30_000): Promise<AgentOutcome> {
    return runAgent({
      config: AgentConfig.parse({ kind: 'command', command }),
      timeoutMs,
      workdir: worktree,
      prompt: 'Take the whole machine.',
      promptDir: join(logs, 'prompts'),
      outputFile: join(logs, `agent-${randomBytes(4).toString('hex')}.log`),
      env: process.env,
      sandbox,
      killGraceMs: 500,
    });
  }

  const found = (file: string) => readFileSync(join(worktree, file), 'utf8');

  /** Far below any timeout: a bomb passes 50 refused forks within a second of reaching its limit. */
  const STORM_STOPPED_WITHIN_MS = 5_000;

  it('given a fork bomb, when its refused forks pass the threshold, then the run is killed at once as a fork storm and nothing of it is left', async () => {
    const marker = `gt-fork-bomb-${randomBytes(4).toString('hex')}`;
    const t0 = Date.now();
    const started = await sandbox.spawn(spec(forkBomb(marker)));
    const cgroup = pidsCgroupOf(started.pid);
    expect(cgroup).toMatch(/gastown-towns\/no-town\/run-\d+-\d+$/);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, fail) => (timer = setTimeout(() => fail(new Error(`the bomb still ran after ${STORM_STOPPED_WITHIN_MS} ms`)), STORM_STOPPED_WITHIN_MS)));
    try {
      const exit = await Promise.race([started.exited, late]);

      expect(Date.now() - t0).toBeLessThan(STORM_STOPPED_WITHIN_MS);
      expect(exit.limit).toMatch(/^process limit 64 reached: \d+ forks refused, stopped as a fork storm$/);
      expect(Number(/^process limit 64 reached: (\d+)/.exec(exit.limit ?? '')?.[1])).toBeGreaterThanOrEqual(50);
    } finally {
      clearTimeout(timer);
      started.signal('SIGKILL');
    }
    expect(started.running()).toBe(false);
    expect(existsSync(cgroup)).toBe(false);
    expect(hostProcessesWith(marker)).toEqual([]);
  });

  it('given a runner whose operator never stops fork storms (0), when a bomb runs, then it is held at the process limit until stopped, and the host still forks', async () => {
    const marker = `gt-fork-bomb-${randomBytes(4).toString('hex')}`;
    const started = await testSandbox({ limits: { ...LOW, forkFailures: 0 }, cgroups: 'required' }).spawn(spec(forkBomb(marker)));
    const cgroup = pidsCgroupOf(started.pid);
    try {
      await until(() => /^max (\d{3,})$/m.test(read(join(cgroup, 'pids.events'))), 'the bomb has 100 forks refused and runs on');
      expect(Number(read(join(cgroup, 'pids.current')))).toBeLessThanOrEqual(64);
      // The runner's host is not starved of processes while the bomb goes on.
      expect(execFileSync('sh', ['-c', 'echo alive'], { encoding: 'utf8' })).toBe('alive\n');
    } finally {
      started.signal('SIGKILL');
    }
    const exit = await started.exited;

    expect(exit.limit).toMatch(/^process limit 64 reached \(\d+ forks refused\)$/);
    expect(existsSync(cgroup)).toBe(false);
    expect(hostProcessesWith(marker)).toEqual([]);
  });

  it("given an agent that fork-bombs, when it is stopped as a fork storm, then it fails as the agent's failure, long before its timeout", async () => {
    const outcome = await agent(forkBomb(`gt-fork-bomb-${randomBytes(4).toString('hex')}`), 60_000);

    expect(outcome.timedOut).toBe(false);
    expect(outcome.durationMs).toBeLessThan(STORM_STOPPED_WITHIN_MS);
    expect(failureReason(outcome, 60_000, [])).toMatch(
      /^the agent's sandbox stopped it: process limit 64 reached: \d+ forks refused, stopped as a fork storm; agent (exited with code|was killed by)/,
    );
  });

  it('given an agent that forks to just under its process limit and then works, when it runs, then it is not stopped', async () => {
    // 3 of bwrap, its init and this shell, 56 sleeps: 59 of 64, then one more process at a time.
    const script = 'i=0; while [ $i -lt 56 ]; do sleep 30 & held="$held $!"; i=$((i+1)); done; ' +
      'for j in 1 2 3 4 5 6 7 8 9 10; do cat /dev/null; done; sleep 1; echo ok > work.txt; kill $held';
    const outcome = await agent(['sh', '-c', script]);

    expect(outcome).toMatchObject({ exitCode: 0, timedOut: false });
    expect(outcome.limit).toBeUndefined();
    expect(found('work.txt')).toBe('ok\n');
  });

  it('given an agent that allocates without end, when it passes the memory limit, then the kernel kills it and the failure reason names the limit', async () => {
    const outcome = await agent([NODE, '-e', 'const held = []; for (;;) held.push(Buffer.alloc(1 << 20, 1));']);

    expect(outcome.exitCode).not.toBe(0);
    expect(outcome.limit).toMatch(/^memory limit 128 MB reached \(the kernel killed \d+ process(es)? of the run\)$/);
    expect(failureReason(outcome, 30_000, [])).toMatch(/^the agent's sandbox stopped it: memory limit 128 MB reached .*; agent (exited with code|was killed by)/);
  });

  it('given an agent that fills /tmp and HOME, when they are full, then its writes fail at their size and nothing is killed', async () => {
    const fill = 'dd if=/dev/zero of=/tmp/fill bs=1M count=64 2>/dev/null; echo $? > tmp.txt; stat -c %s /tmp/fill >> tmp.txt; ' +
      'dd if=/dev/zero of="$HOME/fill" bs=1M count=64 2>/dev/null; echo $? > home.txt; stat -c %s "$HOME/fill" >> home.txt';
    const outcome = await agent(['sh', '-c', fill]);

    expect(outcome).toMatchObject({ exitCode: 0 });
    expect(outcome.limit).toBeUndefined();
    for (const file of ['tmp.txt', 'home.txt']) {
      const [status, size] = found(file).trim().split('\n').map(Number);
      expect(status).not.toBe(0);
      expect(size).toBeLessThanOrEqual(16 * 1024 * 1024);
    }
  });

  it('given an agent that writes a file larger than the file size limit, when it does, then the file stops at the limit', async () => {
    await agent(['sh', '-c', 'dd if=/dev/zero of=big bs=1M count=16 2>/dev/null; stat -c %s big > size.txt']);

    expect(Number(found('size.txt'))).toBe(4 * 1024 * 1024);
  });

  it('given an agent killed by the file size limit, when it fails, then the failure reason names the limit', async () => {
    const outcome = await agent(['sh', '-c', 'exec dd if=/dev/zero of=big bs=1M count=16 2>/dev/null']);

    expect(outcome.limit).toBe('file size limit 4 MB reached (exit code 153, SIGXFSZ)');
    expect(failureReason(outcome, 30_000, [])).toMatch(/^the agent's sandbox stopped it: file size limit 4 MB reached \(exit code 153, SIGXFSZ\); agent exited with code 153/);
  });

  describe('the disk a run holds, measured while it runs', () => {
    const DISK: Partial<SandboxLimits> = { ...LOW, worktreeMb: 16 };
    /** Without the guard each run below would write 300 MB; stopped, it writes about a second's worth past 16 MB. */
    const WELL_PAST_MB = 120;
    const usedMb = (dir: string) => Number(execFileSync('du', ['-sm', dir], { encoding: 'utf8' }).split('\t')[0]);

    it('given an agent that writes file after file, each within the file size limit, when they pass the disk limit, then it is stopped while running and the reason names the limit', async () => {
      const outcome = await runAgent({
        config: AgentConfig.parse({ kind: 'command', command: ['sh', '-c', 'for i in $(seq 1 100); do head -c 3000000 /dev/zero > part-$i; sleep 0.1; done; touch finished'] }),
        timeoutMs: 60_000,
        workdir: worktree,
        prompt: 'Fill the disk.',
        promptDir: join(logs, 'prompts'),
        outputFile: join(logs, `agent-${randomBytes(4).toString('hex')}.log`),
        env: process.env,
        sandbox: testSandbox({ limits: DISK, cgroups: 'required' }),
        killGraceMs: 500,
      });

      expect(outcome.limit).toMatch(/^disk limit 16 MB reached: the worktree and what the run added to its clone's git directories held \d+ MB or more \(GIT_RUNNER_SANDBOX_WORKTREE_MB\); stopped while running$/);
      expect(existsSync(join(worktree, 'finished'))).toBe(false);
      expect(usedMb(worktree)).toBeLessThan(WELL_PAST_MB);
    });

    it("given an agent that writes git objects into its rig's clone, when they pass the disk limit, then it is stopped while running and the reason names the limit", async () => {
      const clone = join(worktree, 'clone');
      const git = (...args: string[]) => execFileSync('git', ['-C', clone, ...args], { stdio: 'ignore' });
      execFileSync('git', ['init', '-q', '-b', 'main', clone]);
      git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'root');
      const tree = join(worktree, 'bead');
      git('worktree', 'add', '-q', '-b', 'bead', tree);
      const objects = join(clone, '.git', 'objects');
      const before = usedMb(objects);
      const started = await testSandbox({ limits: DISK, cgroups: 'required' }).spawn({
        argv: ['sh', '-c', 'for i in $(seq 1 100); do head -c 3000000 /dev/urandom > /tmp/blob; git hash-object -w /tmp/blob > /dev/null; sleep 0.1; done'],
        worktree: tree,
        git: await worktreeGit(tree),
        gitWritable: true,
        env: { PATH: '/usr/bin:/bin' },
        network: false,
        stdio: ['ignore', 'ignore', 'ignore'],
      });
      const exit = await started.exited;

      expect(exit.limit).toMatch(/^disk limit 16 MB reached: .* stopped while running$/);
      expect(usedMb(objects) - before).toBeLessThan(WELL_PAST_MB);
    });
  });

  it('given an agent that daemonises (setsid, double fork), when it exits or times out, then its daemon is gone with it', async () => {
    const marker = `gt-daemon-${randomBytes(4).toString('hex')}`;
    const daemon = `setsid sh -c '(sh -c "sleep 300; : ${marker}" &) ; exit 0'`;

    const exited = await agent(['sh', '-c', `${daemon}; exit 0`]);
    expect(exited).toMatchObject({ exitCode: 0, timedOut: false });
    expect(hostProcessesWith(marker)).toEqual([]);

    const timedOut = await agent(['sh', '-c', `${daemon}; sleep 300`], 1_000);
    expect(timedOut.timedOut).toBe(true);
    expect(hostProcessesWith(marker)).toEqual([]);
  });

  it('given an agent that spins, when it runs for a second, then it gets no more CPU time than its share', async () => {
    const spin = 'const start = Date.now(); while (Date.now() - start < 1000); const { user, system } = process.cpuUsage(); ' +
      "require('fs').writeFileSync('cpu.txt', String(Math.round((user + system) / 1000)))";
    await agent([NODE, '-e', spin]);

    // A fifth of a CPU is 200 ms per second; the margin is for node's start.
    expect(Number(found('cpu.txt'))).toBeLessThan(500);
  });

  it('given a check that allocates without end, when it passes the memory limit, then the check fails naming the limit', async () => {
    const check = { name: 'hog', command: [NODE, '-e', 'const held = []; for (;;) held.push(Buffer.alloc(1 << 20, 1));'] };
    const result = await runChecks(worktree, [check], { timeoutMs: 30_000, env: checkEnvironment(), sandbox });

    const { failed } = result;
    if (!failed) throw new Error('the check passed');
    expect(failed.limit).toMatch(/^memory limit 128 MB reached/);
    expect(describeCheckFailure(failed, 30_000)).toMatch(/^check "hog" (failed \(exit \d+\)|was killed by \w+), memory limit 128 MB reached/);
  });

  it('given a check that fork-bombs, when it is stopped as a fork storm, then the check fails naming it, long before its timeout', async () => {
    const check = { name: 'bomb', command: forkBomb(`gt-fork-bomb-${randomBytes(4).toString('hex')}`) };
    const t0 = Date.now();
    const { failed } = await runChecks(worktree, [check], { timeoutMs: 60_000, env: checkEnvironment(), sandbox });

    if (!failed) throw new Error('the check passed');
    expect(Date.now() - t0).toBeLessThan(STORM_STOPPED_WITHIN_MS);
    expect(describeCheckFailure(failed, 60_000)).toMatch(/^check "bomb" (failed \(exit \d+\)|was killed by \w+), process limit 64 reached: \d+ forks refused, stopped as a fork storm/);
  });

  it('given a runner whose operator turned cgroups off, when it probes, then it warns that agents have no memory, process or CPU limit', async () => {
    const report = await testSandbox({ cgroups: 'off' }).probe();

    expect(report.warning).toMatch(/^NO MEMORY, PROCESS OR CPU LIMIT FOR AGENTS AND CHECKS \(GIT_RUNNER_SANDBOX_CGROUPS=off\)/);
    expect(report.limits).toMatch(/no memory, process or CPU limit \(no cgroup\)$/);
  });
});
