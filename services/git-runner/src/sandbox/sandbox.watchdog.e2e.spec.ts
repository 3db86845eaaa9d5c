import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { eventually, type ServiceProcess } from '@gastown/testing';
import { RunnerFixture, type TestRig } from '../testing/runner.fixture';
import { findCgroupHost, TOWNS_DIR, townCgroupName } from './sandbox.cgroup';
import { hostProcessesWith } from './testing/sandbox.testing';

/** How long the watchdog may take from the runner's SIGKILL until nothing of the run is left. */
const GONE_WITHIN_MS = 5_000;
/** The runner's set-up before the run's cgroup appears (a worktree, a command to the convoy service) is bounded by this. */
const CGROUP_WITHIN_MS = 15_000;

const read = (file: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

/**
 * Checks `probe` without yielding until it gives a value: bwrap's set-up lasts milliseconds, and
 * a timer's turn would let it finish before the runner is killed.
 */
function spinUntil<T>(what: string, probe: () => T | undefined, withinMs: number): T {
  for (const deadline = performance.now() + withinMs; ; ) {
    const value = probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`not within ${withinMs} ms: ${what}`);
  }
}

describe('sandbox watchdog', () => {
  // Read before any runner starts: a runner's cgroups are the spec's own (on v2 it then moves both into a leaf).
  const host = findCgroupHost();
  let fixture: RunnerFixture;

  beforeAll(async () => {
    if ('unavailable' in host) throw new Error(`this spec needs the runner's cgroups: ${host.unavailable}`);
    fixture = await RunnerFixture.start();
  });

  afterEach(async () => {
    await fixture.stopRunners();
  });

  afterAll(async () => {
    await fixture?.close();
  });

  /** The town's cgroup in every hierarchy; the launcher joins the first one first. */
  function townDirs(): string[] {
    if ('unavailable' in host) return [];
    const own = host.version === 2 ? [host.dir] : [host.dirs.memory, host.dirs.pids, host.dirs.cpu, host.dirs.freezer];
    return own.filter((dir) => dir !== undefined).map((dir) => join(dir, TOWNS_DIR, townCgroupName(fixture.townId)));
  }

  /** A hanging demo agent dispatched on `rig` and published; where it will work, and what finds its processes from the host. */
  async function hangingAgent(rig: TestRig, runner: string) {
    const { convoyId, beadIds } = await fixture.sling(rig, [{ title: 'Hang on', body: 'demo:hang' }], { title: 'Watchdog spec' });
    const bead = await fixture.dispatch(convoyId, beadIds[0]);
    await fixture.publish({ kind: 'agent', townId: fixture.townId, convoyId, rigId: rig.rigId, beadId: bead.beadId, attempt: 1 });
    const worktree = join(fixture.runnerRoot(runner), 'rigs', fixture.townId, rig.rigId, 'worktrees', `${bead.beadId.slice(0, 8)}-a1`);
    // bwrap and everything in the sandbox carry it in their environment.
    return { worktree, marker: `GASTOWN_WORKDIR=${worktree}\0` };
  }

  /**
   * SIGKILLs `runner` the moment its agent's run reaches `moment`. Returns the run's cgroup name,
   * what the run held then (by command name, read right after the kill) and when it was killed.
   */
  async function killAt(runner: ServiceProcess, worktree: string, moment: 'created' | 'joined') {
    const [firstJoined = ''] = townDirs();
    const runIn = (townDir: string) => (existsSync(townDir) ? readdirSync(townDir).find((entry) => entry.startsWith(`run-${runner.child.pid}-`)) : undefined);
    // The worktree comes a moment before the run: from then on without yielding.
    await eventually('the worktree', async () => existsSync(worktree), { timeoutMs: CGROUP_WITHIN_MS, intervalMs: 5 });
    const run = spinUntil("the run's cgroup", () => runIn(firstJoined), CGROUP_WITHIN_MS);
    const procs = join(firstJoined, run, 'cgroup.procs');
    const members = moment === 'joined' ? spinUntil('the launcher to join', () => read(procs).trim() || undefined, CGROUP_WITHIN_MS) : read(procs).trim();
    runner.child.kill('SIGKILL');
    const killedAt = performance.now();
    const held = members.split('\n').filter(Boolean).map((pid) => read(`/proc/${pid}/comm`).trim() || `${pid} gone`);
    return { run, held, killedAt };
  }

  /** What is left of a run: processes carrying its marker, and its cgroup in any hierarchy. */
  const leftOf = (marker: string, run: string) => ({
    processes: hostProcessesWith(marker).map((pid) => `${pid} ${read(`/proc/${pid}/comm`).trim()}`),
    cgroups: townDirs()
      .map((dir) => join(dir, run))
      .filter((dir) => existsSync(dir)),
  });
  const nothingLeft = { processes: [], cgroups: [] };

  /** Polls until nothing of the run is left, or GONE_WITHIN_MS passed; how long it took. */
  async function goneAfterMs(marker: string, run: string, killedAt: number): Promise<number> {
    await eventually('nothing of the run to be left', async () => JSON.stringify(leftOf(marker, run)) === JSON.stringify(nothingLeft), {
      timeoutMs: GONE_WITHIN_MS,
      intervalMs: 5,
    }).catch(() => undefined);
    return performance.now() - killedAt;
  }

  it.each([
    ['its run cgroup is created, before the launcher joins it', 'created'],
    ['the launcher joined its run cgroup, while bwrap sets the sandbox up', 'joined'],
  ] as const)('given a runner SIGKILLed as soon as %s, when it dies, then its watchdog kills everything of the run and removes its cgroup, with no other runner', async (_moment, moment) => {
    const rig = await fixture.registerRig();
    const name = `runner-watched-${moment}`;
    const runner = await fixture.startRunner(name);
    const { worktree, marker } = await hangingAgent(rig, name);

    const { run, held, killedAt } = await killAt(runner, worktree, moment);

    const tookMs = await goneAfterMs(marker, run, killedAt);
    expect(leftOf(marker, run)).toEqual(nothingLeft);
    process.stdout.write(`runner SIGKILLed once ${moment} (the run held: ${held.join(', ') || 'nothing'}): everything of the run gone ${tookMs.toFixed(0)} ms later\n`);
    // Its work done, the watchdog is gone too.
    await eventually('the watchdog to exit', async () => hostProcessesWith(`{"runner":${runner.child.pid},`).length === 0, { timeoutMs: GONE_WITHIN_MS });
    expect(await runner.exited()).toBe('SIGKILL');
  });

  it("given another runner's agent in the same town cgroup, when a runner is SIGKILLed and its watchdog sweeps, then the other runner's agent runs on", async () => {
    const rig = await fixture.registerRig();
    // One agent at most, so the doomed runner's job is not its.
    const bystander = await fixture.startRunner('runner-bystander', { GIT_RUNNER_MAX_AGENTS: '1' });
    const other = await hangingAgent(rig, 'runner-bystander');
    const isNode = (pid: number) => read(`/proc/${pid}/comm`).trim() === 'node';
    const agentOf = (marker: string) => hostProcessesWith(marker).sort((a, b) => a - b);
    await eventually("the bystander's agent to run", async () => agentOf(other.marker).some(isNode));
    const before = agentOf(other.marker);
    const doomed = await fixture.startRunner('runner-doomed');
    const { worktree, marker } = await hangingAgent(rig, 'runner-doomed');

    const { run, killedAt } = await killAt(doomed, worktree, 'joined');

    await goneAfterMs(marker, run, killedAt);
    expect(leftOf(marker, run)).toEqual(nothingLeft);
    // The hanging agent may have started more since (its sleep): none of those it had is gone.
    expect(agentOf(other.marker)).toEqual(expect.arrayContaining(before));
    expect(bystander.child.exitCode).toBeNull();
  });
});
