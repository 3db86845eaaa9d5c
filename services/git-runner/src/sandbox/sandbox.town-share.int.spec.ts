import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { forkBomb } from '@gastown/testing';
import type { SandboxProcess, SandboxSpec } from './sandbox';
import { cgroupMounts, findCgroupHost, ownCgroups, TOWNS_DIR, type CgroupHost } from './sandbox.cgroup';
import type { SandboxLimits } from './sandbox.limits';
import { removeEmptyCgroups, testSandbox } from './testing/sandbox.testing';

/**
 * Towns sharing a host, against real bwrap and the host's real cgroups: each town's runs in a
 * cgroup of the town, every town with the same CPU weight, the town's caps over all its runs.
 * Limits stay low (64 processes a run) so that a bomb stays small on a machine other work shares.
 */
const LOW: Partial<SandboxLimits> = { memoryMb: 128, pids: 64, cpus: 1, tmpMb: 16, fileMb: 4 };
const POLL_MS = 10;
/** Beyond any pid_max (4194304 at most): a runner that can never be alive. */
const DEAD_PID = 4_194_305;

async function until(condition: () => boolean, what: string, withinMs = 30_000): Promise<void> {
  for (const deadline = Date.now() + withinMs; !condition(); ) {
    if (Date.now() > deadline) throw new Error(`not within ${withinMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');

/** The directory of a host process's cgroup in the hierarchy of `controller` (v1), or the unified one (v2). */
function cgroupOf(pid: number, controller: string): string {
  const mounts = cgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8'));
  const own = ownCgroups(readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
  const v1 = mounts.find((mount) => mount.fstype === 'cgroup' && mount.superOptions.includes(controller));
  const mount = v1 ?? mounts.find((m) => m.fstype === 'cgroup2');
  const path = own.get(v1 ? controller : '');
  if (!mount || path === undefined) throw new Error(`process ${pid} is in no ${controller} cgroup`);
  return join(mount.mountPoint, path);
}

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ, 100 on Linux). */
const TICKS_PER_S = 100;

/**
 * CPU time the processes of some runs used so far, in ms, as the kernel accounts it: user and
 * system time of every process in each run's cgroup (the runs' spinners never exit, so nothing is lost).
 */
function cpuMs(runs: readonly SandboxProcess[]): number {
  let ticks = 0;
  for (const run of runs) {
    for (const pid of read(join(cgroupOf(run.pid, 'pids'), 'cgroup.procs')).split('\n').filter(Boolean)) {
      const stat = read(`/proc/${pid}/stat`);
      const [utime = '0', stime = '0'] = stat.slice(stat.lastIndexOf(')') + 2).split(' ').slice(11, 13);
      ticks += Number(utime) + Number(stime);
    }
  }
  return (ticks * 1000) / TICKS_PER_S;
}

/** Every directory under which this process's runs' cgroups go: one per v1 hierarchy, or the v2 one. */
function ownDirs(host: CgroupHost): string[] {
  return host.version === 2 ? [host.dir] : [...new Set(Object.values(host.dirs))];
}

describe('towns sharing a host, each in a cgroup of its own', () => {
  let host: CgroupHost;
  let worktree: string;
  const started: SandboxProcess[] = [];

  beforeAll(() => {
    const found = findCgroupHost();
    if ('unavailable' in found) throw new Error(`these specs need cgroups (run as root on a host with cgroup v1 or a delegated v2): ${found.unavailable}`);
    host = found;
  });

  beforeEach(() => {
    worktree = mkdtempSync(join(tmpdir(), 'gt-town-share-'));
  });

  afterEach(() => {
    for (const run of started.splice(0)) run.signal('SIGKILL');
    rmSync(worktree, { recursive: true, force: true });
  });

  afterAll(() => removeEmptyCgroups());

  const spec = (town: string, script: string): SandboxSpec => ({
    argv: ['sh', '-c', script],
    worktree,
    env: { PATH: '/usr/bin:/bin' },
    network: false,
    town,
    stdio: ['ignore', 'ignore', 'ignore'],
  });

  async function run(sandbox: ReturnType<typeof testSandbox>, town: string, script: string): Promise<SandboxProcess> {
    const running = await sandbox.spawn(spec(town, script));
    started.push(running);
    return running;
  }

  it('given runs of two towns, when they run, then each is in its own town cgroup, and both towns have the same CPU weight', async () => {
    const sandbox = testSandbox({ limits: LOW, cgroups: 'required' });
    const [a, b] = [randomUUID(), randomUUID()];

    const runA = await run(sandbox, a, 'exec sleep 300');
    const runB = await run(sandbox, b, 'exec sleep 300');

    const [townA, townB] = [dirname(cgroupOf(runA.pid, 'cpu')), dirname(cgroupOf(runB.pid, 'cpu'))];
    expect(townA).toMatch(new RegExp(`/${TOWNS_DIR}/town-${a}$`));
    expect(townB).toMatch(new RegExp(`/${TOWNS_DIR}/town-${b}$`));
    expect(dirname(townA)).toBe(dirname(townB));
    const weight = (dir: string) => read(join(dir, host.version === 1 ? 'cpu.shares' : 'cpu.weight')).trim();
    expect(weight(townA)).toBe(host.version === 1 ? '1024' : '100');
    expect(weight(townB)).toBe(weight(townA));
    expect(dirname(cgroupOf(runA.pid, 'pids'))).toMatch(new RegExp(`/town-${a}$`));
    expect(dirname(cgroupOf(runA.pid, 'memory'))).toMatch(new RegExp(`/town-${a}$`));
  });

  it('given two runs of one town that both fork without end, when they run, then the town process cap holds over both and the storm is stopped naming the town cap', async () => {
    // The town's cap is below each run's own (64): whichever run storms, the refusals are the town's.
    const sandbox = testSandbox({ limits: LOW, cgroups: 'required', town: { pids: 48 } });
    const town = randomUUID();
    const bomb = async (): Promise<SandboxProcess> => {
      const running = await sandbox.spawn({ ...spec(town, ''), argv: forkBomb('gt-town-fork-bomb') });
      started.push(running);
      return running;
    };

    const first = await bomb();
    const second = await bomb();
    const townDir = dirname(cgroupOf(first.pid, 'pids'));
    // Whichever run storms is stopped by the storm check. The other may find the town full: then
    // its bwrap cannot start its sandbox and it ends at once (a refused fork, no storm), or it
    // storms as well, or it is ended here once the first storm was stopped.
    const STORM = /^the town's process limit 48 reached, all its runs together: \d+ forks refused, stopped as a fork storm$/;
    const exits = [first.exited, second.exited];
    const earliest = await Promise.race(exits.map((exit, index) => exit.then((ended) => ({ index, ended }))));
    const stopped = STORM.test(earliest.ended.limit ?? '') ? earliest.ended : await exits[1 - earliest.index];
    const peak = existsSync(join(townDir, 'pids.peak')) ? Number(read(join(townDir, 'pids.peak'))) : undefined;
    for (const running of [first, second]) running.signal('SIGKILL');
    const ended = await Promise.all(exits);

    expect(stopped.limit).toMatch(STORM);
    for (const exit of ended) expect(exit.limit ?? '').not.toMatch(/^process limit 64/);
    expect(Number(read(join(townDir, 'pids.max')))).toBe(48);
    if (peak !== undefined) expect(peak).toBeLessThanOrEqual(48);
  });

  it("given a run that allocates without end, when its town's memory cap is below its own, then the kernel stops it there and the reason names the town's limit", async () => {
    const sandbox = testSandbox({ limits: LOW, cgroups: 'required', town: { memoryMb: 96 } });
    const hog = await sandbox.spawn({
      ...spec(randomUUID(), ''),
      argv: [process.execPath, '-e', 'const held = []; for (;;) held.push(Buffer.alloc(1 << 20, 1));'],
    });
    started.push(hog);

    const exit = await hog.exited;

    expect(exit.limit).toMatch(/^the town's memory limit 96 MB reached, all its runs together \(the kernel killed \d+ process(es)? of the run\)$/);
  });

  it("given a town with three spinning runs, when another town's one run spins too, then the town of one gets as much CPU as the town of three", async () => {
    // The town cap is lifted to the whole host: the weight alone must share the CPU.
    const sandbox = testSandbox({ limits: LOW, cgroups: 'required', town: { cpus: 64 } });
    const [a, b] = [randomUUID(), randomUUID()];
    const spin = 'while :; do :; done';

    const runA = await run(sandbox, a, spin);
    const runsB = [await run(sandbox, b, spin), await run(sandbox, b, spin), await run(sandbox, b, spin)];
    // Measured from when all four spin; over a window counted in B's CPU time, not in wall-clock time.
    await until(() => [runA, ...runsB].every((r) => cpuMs([r]) > 0), 'all four runs spin');
    const [fromA, fromB] = [cpuMs([runA]), cpuMs(runsB)];
    await until(() => cpuMs(runsB) - fromB >= 1_500, "town B's runs use 1.5 s of CPU", 90_000);
    const [usedA, usedB] = [cpuMs([runA]) - fromA, cpuMs(runsB) - fromB];

    // Equal weights share 1:1 (A's own cap of 1 CPU allowing); one weight per run would give A a third of B.
    expect(usedA / usedB).toBeGreaterThan(0.6);
  });

  it('given cgroups a dead runner left, when a runner starts, then the empty ones are removed and a live runner keeps its own', async () => {
    const stale = ownDirs(host).flatMap((dir) => [
      join(dir, TOWNS_DIR, `town-${randomUUID()}`, `run-${DEAD_PID}-1`),
      join(dir, `gastown-sandbox-${DEAD_PID}-7`),
    ]);
    const live = ownDirs(host).map((dir) => join(dir, TOWNS_DIR, `town-${randomUUID()}`, `run-${process.pid}-999999`));
    for (const dir of [...stale, ...live]) mkdirSync(dir, { recursive: true });
    try {
      // The first run of a runner (at start, its probe) sweeps.
      await testSandbox({ limits: LOW, cgroups: 'required' }).probe();

      for (const dir of stale) expect(existsSync(dir)).toBe(false);
      for (const dir of stale.filter((d) => d.includes(`/${TOWNS_DIR}/`))) expect(existsSync(dirname(dir))).toBe(false);
      for (const dir of live) expect(existsSync(dir)).toBe(true);
    } finally {
      for (const dir of live) {
        rmdirSync(dir);
        rmdirSync(dirname(dir));
      }
    }
  });

  it("given a dead runner's run that still holds a process (an orphaned agent), when a runner starts, then the process is killed and its cgroup removed", async () => {
    const stale = ownDirs(host).map((dir) => join(dir, TOWNS_DIR, `town-${randomUUID()}`, `run-${DEAD_PID}-2`));
    for (const dir of stale) mkdirSync(dir, { recursive: true });
    // What a dead runner's agent is: a process of a run that nobody will collect or time out.
    const orphan = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => orphan.once('exit', (_code, signal) => resolve(signal)));
    try {
      for (const dir of stale) writeFileSync(join(dir, 'cgroup.procs'), String(orphan.pid));

      await testSandbox({ limits: LOW, cgroups: 'required' }).probe();

      expect(await exited).toBe('SIGKILL');
      for (const dir of stale) expect(existsSync(dir)).toBe(false);
    } finally {
      orphan.kill('SIGKILL');
      for (const dir of stale) {
        if (existsSync(dir)) rmdirSync(dir);
        if (existsSync(dirname(dir))) rmdirSync(dirname(dir));
      }
    }
  });
});
