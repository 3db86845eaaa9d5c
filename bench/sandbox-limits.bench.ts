/**
 * Sandbox limits: what town B's abusive agents do to town A's sandboxed runs on the same runner.
 * A's run (`sh -c` counting to 20,000 in real bwrap with its real cgroups: the start, confinement
 * and end of every agent and check, plus a little CPU) is timed alone (p50/p99 over sequential
 * runs), then while B runs N concurrent abusers of one kind, in turn:
 *   - fork bombs (each stopped as a fork storm once its refused forks pass the runner's threshold,
 *     and started again at once, as a town's retries would; with GIT_RUNNER_SANDBOX_FORK_FAILURES=0
 *     each is held at its run's process limit, forking again as fast as its processes die);
 *   - CPU spinners;
 *   - memory churn (node allocating and dropping 256 MB over and over);
 *   - all three kinds at once (N of each).
 * Each load runs as one town (B's runs share B's cgroup: one CPU weight and B's caps); the CPU
 * spin and all three also as it was before town cgroups, every abuser a town of its own (one
 * weight per run). Not the fork bombs alone: without the fork storm stop a single run of A could
 * stall there for a minute and more, which would take the bench past its time.
 * Runs get the runner's default limits and town caps; ratios are against the baseline of the same
 * run; with fewer than 100 runs in a phase its p99 is its slowest run. Needs root and cgroups, as
 * the runner's sandbox does. Target: A's p99 ≤ 3× alone.
 *
 *   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register bench/sandbox-limits.bench.ts
 *   GIT_RUNNER_SANDBOX_FORK_FAILURES=0 …   (fork storms never stopped, for a comparison)
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
// The sandbox is the git-runner's own module, not a lib: this bench measures it in-process, as the runner runs it.
// eslint-disable-next-line @nx/enforce-module-boundaries
import type { SandboxProcess, SandboxSpec } from '../services/git-runner/src/sandbox/sandbox';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { findCgroupHost } from '../services/git-runner/src/sandbox/sandbox.cgroup';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { removeEmptyCgroups, testSandbox } from '../services/git-runner/src/sandbox/testing/sandbox.testing';
import { percentile } from './bench.measure';
import { runBench, type Teardown } from './bench.system';

/** Abusers of each kind B runs at once: more than this machine's cores, as a town with several agents has. */
const ABUSERS = 3;
const PROBES = 30;
/** A phase stops probing after this long even if the probes are slow, so the run stays bounded. */
const PHASE_PROBE_MS = 8_000;
/** Time for the abusers to reach their steady state (a bomb at its limit, the churn at its size). */
const SETTLE_MS = 1_500;
const GLOBAL_TIMEOUT_MS = 5 * 60_000;

const PROBE = 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done';
const ABUSE = {
  'fork bomb': ['sh', '-c', 'b() { b | b & }; b; exec sleep 600'],
  'CPU spin': ['sh', '-c', 'while :; do :; done'],
  'memory churn': [process.execPath, '-e', 'for (;;) { const held = []; for (let i = 0; i < 256; i++) held.push(Buffer.alloc(1 << 20, 1)); }'],
} as const;
type Kind = keyof typeof ABUSE;

interface Figures {
  phase: string;
  p50: number;
  p99: number;
  probes: number;
}

async function main(teardown: Teardown): Promise<void> {
  const host = findCgroupHost();
  if ('unavailable' in host) throw new Error(`this bench needs cgroups (root, cgroup v1 or a delegated v2): ${host.unavailable}`);
  const forkFailures = process.env['GIT_RUNNER_SANDBOX_FORK_FAILURES'];
  const sandbox = testSandbox({ cgroups: 'required', ...(forkFailures ? { limits: { forkFailures: Number(forkFailures) } } : {}) });
  const { limits, townLimits } = sandbox;
  const worktree = mkdtempSync(join(tmpdir(), 'gt-sandbox-bench-'));
  teardown.add('removing the worktree and the empty cgroups', async () => {
    rmSync(worktree, { recursive: true, force: true });
    removeEmptyCgroups();
  });
  const spec = (argv: readonly string[], town: string): SandboxSpec => ({ argv, worktree, env: { PATH: '/usr/bin:/bin' }, network: false, town, stdio: ['ignore', 'ignore', 'ignore'] });
  const townA = randomUUID();

  async function probeA(phase: string): Promise<Figures> {
    const latencies: number[] = [];
    for (const deadline = Date.now() + PHASE_PROBE_MS; latencies.length < PROBES && Date.now() < deadline; ) {
      const t0 = performance.now();
      const run = await sandbox.spawn(spec(['sh', '-c', PROBE], townA));
      const exit = await run.exited;
      if (exit.code !== 0) throw new Error(`A's run ended with ${exit.signal ?? `exit code ${exit.code}`}${exit.limit ? ` (${exit.limit})` : ''}`);
      latencies.push(performance.now() - t0);
    }
    latencies.sort((x, y) => x - y);
    return { phase, p50: percentile(latencies, 50), p99: percentile(latencies, 99), probes: latencies.length };
  }

  /** B's abusers of the given kinds; `oneTown` false gives each a town of its own, as one cgroup weight per run did. */
  async function whileAbused(phase: string, kinds: readonly Kind[], oneTown: boolean): Promise<Figures> {
    const townB = randomUUID();
    const abusers = new Set<SandboxProcess>();
    let stopping = false;
    // Each abuser again as soon as it ends (a fork bomb stopped as a fork storm), as the town's retries would start it.
    const abuse = async (kind: Kind, town: string) => {
      while (!stopping) {
        const abuser = await sandbox.spawn(spec(ABUSE[kind], town));
        abusers.add(abuser);
        if (stopping) abuser.signal('SIGKILL');
        await abuser.exited;
        abusers.delete(abuser);
      }
    };
    const running: Promise<void>[] = [];
    const stop = async () => {
      stopping = true;
      for (const abuser of abusers) abuser.signal('SIGKILL');
      await Promise.all(running);
    };
    teardown.add(`stopping the abusers of ${phase}`, stop);
    for (const kind of kinds) {
      for (let i = 0; i < ABUSERS; i++) running.push(abuse(kind, oneTown ? townB : randomUUID()));
    }
    try {
      await delay(SETTLE_MS);
      return await probeA(phase);
    } finally {
      await stop();
    }
  }

  console.log(
    `sandbox limits: town A's sandboxed run (up to ${PROBES} sequential, ${PHASE_PROBE_MS / 1000} s at most), alone and while town B runs ${ABUSERS} abusers of a kind; ` +
      `${cpus().length} cores, cgroup v${host.version}; per run ${limits.cpus} CPU, ${limits.memoryMb} MB, ${limits.pids} processes; ` +
      `per town ${townLimits.cpus} CPU, ${townLimits.memoryMb} MB, ${townLimits.pids} processes; ` +
      (limits.forkFailures > 0 ? `a run stopped as a fork storm at ${limits.forkFailures} refused forks` : 'fork storms never stopped'),
  );
  // One run first: the probe also sweeps, and the first bwrap start warms the page cache.
  await probeA('warm-up');
  const alone = await probeA('A alone');
  const figures: Figures[] = [alone];
  const loads: [string, Kind[], { alsoATownPerRun: boolean }][] = [
    ['fork bomb', ['fork bomb'], { alsoATownPerRun: false }],
    ['CPU spin', ['CPU spin'], { alsoATownPerRun: true }],
    ['memory churn', ['memory churn'], { alsoATownPerRun: false }],
    ['all three', ['fork bomb', 'CPU spin', 'memory churn'], { alsoATownPerRun: true }],
  ];
  for (const [name, kinds, { alsoATownPerRun }] of loads) {
    figures.push(await whileAbused(`B: ${ABUSERS * kinds.length} × ${name}, one town`, kinds, true));
    if (alsoATownPerRun) figures.push(await whileAbused(`B: ${ABUSERS * kinds.length} × ${name}, a town per run`, kinds, false));
  }

  const cells: [string, (f: Figures) => string][] = [
    ['phase', (f) => f.phase],
    ['p50 ms', (f) => f.p50.toFixed(1)],
    ['p99 ms', (f) => f.p99.toFixed(1)],
    ['p50 ×', (f) => (f.p50 / alone.p50).toFixed(2)],
    ['p99 ×', (f) => (f.p99 / alone.p99).toFixed(2)],
    ['runs', (f) => String(f.probes)],
  ];
  const width = (title: string) => Math.max(title.length, ...figures.map((f) => (cells.find(([t]) => t === title) as [string, (f: Figures) => string])[1](f).length));
  console.log(cells.map(([title]) => title.padEnd(width(title))).join(' | '));
  for (const f of figures) console.log(cells.map(([title, value]) => value(f).padEnd(width(title))).join(' | '));
  const worst = Math.max(...figures.filter((f) => f.phase.endsWith('one town')).map((f) => f.p99 / alone.p99));
  console.log(`target: A's p99 while B (one town) abuses ≤ 3× alone — worst ${worst.toFixed(2)}× ${worst <= 3 ? 'met' : 'MISSED'}`);
}

runBench('sandbox-limits', GLOBAL_TIMEOUT_MS, main);
