/**
 * Time to land a 50-bead DAG convoy with the demo agent: slingBatch through GraphQL until the
 * convoy's ConvoyLanded commit is stored, through the real convoy, gateway, dispatcher and
 * git-runner processes on a temporary bare repository.
 *
 * Lower bound, same machine, same run: what a perfect orchestrator with zero overhead needs in
 * git for the same work along the convoy's critical path — for each bead on it `git worktree add`
 * from the feature branch, write the bead's file (what the demo agent writes), commit, merge
 * --no-ff into the feature branch, push; then the landing merge into main and its push. For
 * context, the same steps for all 50 beads one after another. Each is the median of three runs
 * on fresh repositories.
 *
 * The DAG: 5 layers of 10 beads, each bead depending on 1–2 beads of the previous layer, so the
 * critical path is 5 beads plus the landing. The rig uses the default config (maxPolecats 4);
 * further maxPolecats values can be given as arguments (default: 4 10). For a value above 4 the
 * git-runner gets GIT_RUNNER_MAX_AGENTS of the same value (its default, 4, would cap it).
 *
 *   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register bench/convoy-landing.bench.ts [maxPolecats...]
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DeliverPolicy } from '@nats-io/jetstream';
import { CommandClient, type Bus } from '@gastown/bus';
import { beadIdFor, convoyIdFor, DEFAULT_RIG_CONFIG, generateTownToken, hashTownToken, type CommandReply } from '@gastown/contracts';
import { createTestDatabase, freePort, type ServiceProcess } from '@gastown/testing';
import {
  benchNamespace,
  createOrigin,
  git,
  median,
  NATS_URL,
  openNamespace,
  runBench,
  startServices,
  type Teardown,
} from './bench.system';

const LAYERS = 5;
const WIDTH = 10;
const BEADS = LAYERS * WIDTH;
const PLAIN_GIT_RUNS = 3;
const VARIANTS = process.argv.slice(2).length > 0 ? process.argv.slice(2).map(Number) : [DEFAULT_RIG_CONFIG.maxPolecats, 10];
const LAND_TIMEOUT_MS = 10 * 60_000;
const GLOBAL_TIMEOUT_MS = 30 * 60_000;

interface Task {
  title: string;
  dependsOn: number[];
}

/** Bead (layer L, position p) waits for (L−1, p), and for (L−1, (3p+1) mod 10) unless p is a multiple of 3. */
function plan(): Task[] {
  return Array.from({ length: BEADS }, (_, i) => {
    const layer = Math.floor(i / WIDTH);
    const p = i % WIDTH;
    const previous = (q: number) => (layer - 1) * WIDTH + q;
    const dependsOn = layer === 0 ? [] : p % 3 === 0 ? [previous(p)] : [previous(p), previous((3 * p + 1) % WIDTH)];
    return { title: `Layer ${layer} task ${p}`, dependsOn: [...new Set(dependsOn)] };
  });
}

/** The longest chain of the plan (indices, in order). */
function criticalPath(tasks: Task[]): number[] {
  const longest: number[][] = [];
  tasks.forEach((task, i) => {
    const best = task.dependsOn.map((d) => longest[d]).reduce<number[]>((a, b) => (b.length > a.length ? b : a), []);
    longest[i] = [...best, i];
  });
  return longest.reduce((a, b) => (b.length > a.length ? b : a), []);
}

/** The file the demo agent writes for a bead with an empty body. */
const beadFile = (beadId: string) => `beads/${beadId.slice(0, 8)}.md`;
const beadText = (title: string) => `# ${title}\n`;

/**
 * The git a perfect orchestrator needs for `beads` in order, then the landing, on a fresh origin;
 * returns the milliseconds of the git work (the origin and its clone are made before the clock starts).
 */
async function plainGit(root: string, beads: { id: string; title: string }[]): Promise<number> {
  const dir = await mkdtemp(join(root, 'plain-'));
  try {
    const bare = await createOrigin(dir);
    const clone = join(dir, 'clone');
    await git(dir, 'clone', '--quiet', bare, clone);
    const feature = join(dir, 'feature');
    const started = performance.now();
    await git(clone, 'worktree', 'add', '--quiet', '-b', 'feature', feature, 'main');
    for (const bead of beads) {
      const branch = `bead/${bead.id.slice(0, 8)}`;
      const worktree = join(dir, 'wt', bead.id.slice(0, 8));
      await git(clone, 'worktree', 'add', '--quiet', '-b', branch, worktree, 'feature');
      const file = join(worktree, beadFile(bead.id));
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, beadText(bead.title));
      await git(worktree, 'add', '--all');
      await git(worktree, 'commit', '--quiet', '-m', bead.title);
      await git(feature, 'merge', '--quiet', '--no-ff', '-m', `Merge bead "${bead.title}"`, branch);
      await git(feature, 'push', '--quiet', 'origin', 'feature');
    }
    await git(clone, 'merge', '--quiet', '--no-ff', '-m', 'Land convoy', 'feature');
    await git(clone, 'push', '--quiet', 'origin', 'main');
    const ms = performance.now() - started;
    const landed = (await git(bare, 'ls-tree', '-r', '--name-only', 'main', 'beads/')).split('\n').filter(Boolean);
    if (landed.length !== beads.length) throw new Error(`plain git landed ${landed.length} bead files, expected ${beads.length}`);
    return ms;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface Landing {
  maxPolecats: number;
  runnerAgents: number;
  landMs: number;
  acceptedMs: number;
  /** ConvoyReadyToLand → ConvoyLanded, stored timestamps. */
  landingPhaseMs: number;
  agentRuns: number[];
  /** Medians over the beads: BeadDispatched → BeadSubmitted (the polecat), BeadSubmitted → BeadMerged (the refinery, waiting included). */
  agentPhaseMs: number;
  reviewPhaseMs: number;
  /** (last BeadMerged − first BeadMerged) / (merges − 1): the rig's merge cadence. */
  mergeIntervalMs: number;
  retries: string[];
  /** The git-runner's mean per attempt for each polecat step, read from its /metrics. */
  steps: Map<string, number>;
}

const STEPS = ['worktree', 'start', 'agent', 'size', 'commit', 'push', 'cleanup', 'submit'] as const;

/** Mean ms per step from gastown_polecat_step_duration_seconds' _sum and _count series. */
async function polecatSteps(healthPort: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
  const series = (suffix: string, step: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`gastown_polecat_step_duration_seconds_${suffix}{`) && l.includes(`step="${step}"`));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
  };
  return new Map(STEPS.map((step) => [step, (series('sum', step) / series('count', step)) * 1000]));
}

interface GqlAnswer<T> {
  data?: T;
  errors?: { message: string }[];
}

async function main(teardown: Teardown): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'gt-bench-landing-'));
  teardown.add(`removing ${root}`, () => rm(root, { recursive: true, force: true }));
  const db = await createTestDatabase();
  teardown.add(`dropping database ${db.name}`, () => db.drop());
  const namespace = benchNamespace();
  const bus = await openNamespace(teardown, namespace, 'bench-landing');
  const port = await freePort();
  // The origins are temporary bare repositories under `root`, a local root the operator allows.
  const env = { NATS_URL, GT_NAMESPACE: namespace, DATABASE_URL: db.url, GATEWAY_PORT: String(port), GASTOWN_LOCAL_REPO_ROOTS: root };
  await startServices(teardown, env, [{ service: 'convoy' }, { service: 'gateway' }, { service: 'dispatcher', env: { DISPATCHER_ID: 'bench-dispatcher' } }]);

  const url = `http://127.0.0.1:${port}/graphql`;
  const token = generateTownToken();
  const townId = randomUUID();
  const gql = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(60_000),
    });
    const answer = (await response.json()) as GqlAnswer<T>;
    if (answer.errors?.length || !answer.data) throw new Error(`GraphQL: ${JSON.stringify(answer.errors ?? answer).slice(0, 1000)}`);
    return answer.data;
  };
  const created = await new CommandClient(bus).request<CommandReply>(bus.names.commands.town, {
    type: 'CreateTown',
    commandId: randomUUID(),
    townId,
    actor: { kind: 'user', id: 'bench' },
    data: { name: 'bench', tokenHash: hashTownToken(token) },
  });
  if (!created.ok) throw new Error(created.error.message);
  await until('the gateway to know the town', 30_000, async () => (await gql<{ town: { id: string } }>('{ town { id } }').catch(() => null))?.town.id === townId);

  const tasks = plan();
  const path = criticalPath(tasks);
  if (path.length !== LAYERS) throw new Error(`the plan's critical path has ${path.length} beads, expected ${LAYERS}`);

  // The plain-git lower bounds, while the services stand idle.
  const sampleConvoy = randomUUID();
  const beads = tasks.map((task, i) => ({ id: beadIdFor(sampleConvoy, i), title: task.title }));
  const critical: number[] = [];
  const serial: number[] = [];
  for (let run = 0; run < PLAIN_GIT_RUNS; run++) {
    critical.push(await plainGit(root, path.map((i) => beads[i])));
    serial.push(await plainGit(root, beads));
  }
  const criticalMs = median(critical);
  const serialMs = median(serial);

  const landings: Landing[] = [];
  let runner: ServiceProcess | undefined;
  for (const maxPolecats of VARIANTS) {
    if (!Number.isInteger(maxPolecats) || maxPolecats < 1 || maxPolecats > 64) throw new Error(`maxPolecats ${maxPolecats} is not 1 to 64`);
    // A fresh runner per variant, with as many agent slots as the rig may use (4, its default, at least).
    const runnerAgents = Math.max(maxPolecats, 4);
    await runner?.stop();
    const name = `git-runner-p${maxPolecats}`;
    const healthPort = await freePort();
    [runner] = await startServices(teardown, env, [
      {
        service: 'git-runner',
        env: {
          GIT_RUNNER_HEALTH_PORT: String(healthPort),
          GIT_RUNNER_ID: name,
          GIT_RUNNER_DATA_DIR: join(root, name),
          ...(runnerAgents === 4 ? {} : { GIT_RUNNER_MAX_AGENTS: String(runnerAgents) }),
        },
      },
    ]);
    landings.push({ ...(await land(bus, gql, root, townId, tasks, maxPolecats, runner, runnerAgents)), steps: await polecatSteps(healthPort) });
  }

  console.log(
    `convoy landing: ${BEADS} beads in ${LAYERS} layers of ${WIDTH}, each waiting for 1–2 beads of the previous layer ` +
      `(critical path ${LAYERS} beads + landing), review-then-land, demo agent, nats ${bus.nc.info?.version}, ` +
      `git ${(await git(root, '--version')).replace('git version ', '')}, ${cpus().length} cores`,
  );
  console.log(
    `plain-git lower bound, median of ${PLAIN_GIT_RUNS} (worktree add, write, commit, merge --no-ff, push per bead; landing merge and push): ` +
      `critical path ${criticalMs.toFixed(0)} ms, all ${BEADS} beads serially ${serialMs.toFixed(0)} ms`,
  );
  console.log(
    'time to land: slingBatch sent → its ConvoyLanded commit delivered from the stream; ratio: time to land / critical-path git; ' +
      `phase columns: stored timestamps (dispatch→submit: polecat, submit→merge: refinery incl. waiting, merge interval: first to last BeadMerged / ${BEADS - 1}, ` +
      'landing: ConvoyReadyToLand → ConvoyLanded); ' +
      "demo agent run: the git-runner's own measure of each agent process",
  );
  const cells = [
    ['maxPolecats', (l: Landing) => `${l.maxPolecats}${l.maxPolecats === DEFAULT_RIG_CONFIG.maxPolecats ? ' (default)' : ''}`],
    ['runner agents', (l: Landing) => String(l.runnerAgents)],
    ['time to land ms', (l: Landing) => l.landMs.toFixed(0)],
    ['critical-path git ms', () => criticalMs.toFixed(0)],
    ['ratio', (l: Landing) => (l.landMs / criticalMs).toFixed(1)],
    ['all beads serial git ms', () => serialMs.toFixed(0)],
    ['ratio to serial', (l: Landing) => (l.landMs / serialMs).toFixed(2)],
    ['slingBatch returned ms', (l: Landing) => l.acceptedMs.toFixed(0)],
    ['dispatch→submit ms (median)', (l: Landing) => l.agentPhaseMs.toFixed(0)],
    ['submit→merge ms (median)', (l: Landing) => l.reviewPhaseMs.toFixed(0)],
    ['merge interval ms (mean)', (l: Landing) => l.mergeIntervalMs.toFixed(0)],
    ['landing phase ms', (l: Landing) => l.landingPhaseMs.toFixed(0)],
    ['demo agent run ms (median)', (l: Landing) => (l.agentRuns.length > 0 ? median(l.agentRuns).toFixed(0) : 'n/a')],
    ['retries', (l: Landing) => (l.retries.length === 0 ? '0' : `${l.retries.length} (${[...new Set(l.retries)].join(', ')})`)],
  ] as const;
  console.log(cells.map(([title]) => title).join(' | '));
  for (const landing of landings) console.log(cells.map(([title, value]) => value(landing).padStart(title.length)).join(' | '));

  // What the runner adds to each agent run, next to what plain git needs for the same bead.
  const overhead = (l: Landing) => STEPS.filter((step) => step !== 'agent').reduce((sum, step) => sum + (l.steps.get(step) ?? NaN), 0);
  console.log(
    "runner per attempt: the git-runner's mean ms per polecat step (gastown_polecat_step_duration_seconds); overhead: every step but the agent's run; " +
      `plain git per bead: all ${BEADS} beads serially / ${BEADS} (worktree add, write, commit, merge --no-ff, push)`,
  );
  const stepCells = [
    ['maxPolecats', (l: Landing) => String(l.maxPolecats)],
    ...STEPS.map((step) => [`${step} ms`, (l: Landing) => (l.steps.get(step) ?? NaN).toFixed(1)] as const),
    ['overhead ms', (l: Landing) => overhead(l).toFixed(1)],
    ['plain git per bead ms', () => (serialMs / BEADS).toFixed(1)],
    ['overhead ratio', (l: Landing) => (overhead(l) / (serialMs / BEADS)).toFixed(1)],
  ] as const;
  console.log(stepCells.map(([title]) => title).join(' | '));
  for (const landing of landings) console.log(stepCells.map(([title, value]) => value(landing).padStart(title.length)).join(' | '));
}

type Gql = <T>(query: string, variables?: Record<string, unknown>) => Promise<T>;

/** One convoy on a fresh origin and rig: slingBatch until its ConvoyLanded is stored; checks what landed. */
async function land(bus: Bus, gql: Gql, root: string, townId: string, tasks: Task[], maxPolecats: number, runner: ServiceProcess, runnerAgents: number): Promise<Omit<Landing, 'steps'>> {
  const bare = await createOrigin(join(root, `origin-p${maxPolecats}`));
  const config = maxPolecats === DEFAULT_RIG_CONFIG.maxPolecats ? {} : { maxPolecats };
  const { registerRig } = await gql<{ registerRig: { id: string; config: { maxPolecats: number } } }>(
    'mutation ($input: RegisterRigInput!) { registerRig(input: $input) { id config { maxPolecats } } }',
    { input: { name: `bench-p${maxPolecats}`, gitUrl: bare, defaultBranch: 'main', config } },
  );
  if (registerRig.config.maxPolecats !== maxPolecats) throw new Error(`the rig has maxPolecats ${registerRig.config.maxPolecats}, expected ${maxPolecats}`);

  const commandId = randomUUID();
  const convoyId = convoyIdFor(townId, commandId);
  const outputBefore = runner.output().length;
  const watch = watchConvoy(bus, bus.names.convoyEvents(townId, convoyId));
  try {
    const started = performance.now();
    const { slingBatch } = await gql<{ slingBatch: { id: string; progress: { total: number } } }>(
      'mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { id progress { total } } }',
      { input: { title: `Bench convoy (maxPolecats ${maxPolecats})`, defaultRigId: registerRig.id, tasks, commandId } },
    );
    const acceptedMs = performance.now() - started;
    if (slingBatch.id !== convoyId || slingBatch.progress.total !== BEADS) throw new Error(`unexpected slingBatch answer ${JSON.stringify(slingBatch)}`);
    const landed = await watch.landed;
    const landMs = landed.at - started;

    // What landed: the read model says LANDED with every bead closed, and origin's main holds every bead's file.
    const read = await until('the read model to show the convoy LANDED', 30_000, async () => {
      const { convoy } = await gql<{ convoy: { status: string; progress: { closed: number }; beads: { id: string }[] } }>(
        'query ($id: ID!) { convoy(id: $id) { status progress { closed } beads { id } } }',
        { id: convoyId },
      );
      return convoy.status === 'LANDED' ? convoy : null;
    });
    if (read.progress.closed !== BEADS) throw new Error(`LANDED with ${read.progress.closed} of ${BEADS} beads closed`);
    const files = new Set((await git(bare, 'ls-tree', '-r', '--name-only', 'main', 'beads/')).split('\n'));
    const missing = read.beads.filter((bead) => !files.has(beadFile(bead.id)));
    if (missing.length > 0) throw new Error(`origin's main lacks the files of ${missing.length} beads`);

    const agentRuns = [...runner.output().slice(outputBefore).matchAll(/ done in (\d+) ms/g)].map((m) => Number(m[1]));
    const times = [...watch.phases.values()];
    const agentPhaseMs = median(times.map((t) => (t.submitted ?? Number.NaN) - (t.dispatched ?? Number.NaN)));
    const reviewPhaseMs = median(times.map((t) => (t.merged ?? Number.NaN) - (t.submitted ?? Number.NaN)));
    const merges = times.map((t) => t.merged ?? Number.NaN).sort((a, b) => a - b);
    const mergeIntervalMs = (merges[merges.length - 1] - merges[0]) / (merges.length - 1);
    return {
      maxPolecats,
      runnerAgents,
      landMs,
      acceptedMs,
      landingPhaseMs: landed.landingPhaseMs,
      agentRuns,
      agentPhaseMs,
      reviewPhaseMs,
      mergeIntervalMs,
      retries: [...watch.retries],
    };
  } finally {
    await watch.stop();
  }
}

/** Events of a bead or landing going round again: counted, since they are part of what the run cost. */
const PHASES: Record<string, 'dispatched' | 'submitted' | 'merged'> = { BeadDispatched: 'dispatched', BeadSubmitted: 'submitted', BeadMerged: 'merged' };
const RETRIES = ['BeadReworkRequested', 'BeadAttemptFailed', 'BeadAgentLost', 'ConvoyLandingFailed'];

interface ConvoyWatch {
  /** When the ConvoyLanded commit was delivered (performance.now()), and ConvoyReadyToLand → ConvoyLanded on the server's clock. */
  landed: Promise<{ at: number; landingPhaseMs: number }>;
  /** Per bead, stored times (ms) of its attempt-1 BeadDispatched, BeadSubmitted and BeadMerged. */
  phases: Map<string, { dispatched?: number; submitted?: number; merged?: number }>;
  /** Types of the retry events seen so far. */
  retries: string[];
  stop(): Promise<void>;
}

/** Follows one convoy's subject with an ordered consumer (stored commits only); fails on the first failure event. */
function watchConvoy(bus: Bus, subject: string): ConvoyWatch {
  let stopped = false;
  let close: () => Promise<void> = async () => undefined;
  const retries: string[] = [];
  const phases: ConvoyWatch['phases'] = new Map();
  const landed = new Promise<{ at: number; landingPhaseMs: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the convoy did not land within ${LAND_TIMEOUT_MS / 1000} s`)), LAND_TIMEOUT_MS);
    const done = (outcome: () => void) => {
      clearTimeout(timer);
      outcome();
    };
    void (async () => {
      const consumer = await bus.js.consumers.get(bus.names.eventStream, { filter_subjects: subject, deliver_policy: DeliverPolicy.All });
      const messages = await consumer.consume({ max_bytes: 8 * 1024 * 1024 });
      close = async () => {
        await messages.close();
        await consumer.delete().catch(() => undefined);
      };
      if (stopped) return close();
      let readyNanos: bigint | undefined;
      for await (const m of messages) {
        const at = performance.now();
        const commit = JSON.parse(new TextDecoder().decode(m.data)) as { events?: { type: string; data: Record<string, unknown> }[] };
        for (const event of commit.events ?? []) {
          if (event.type === 'ConvoyReadyToLand') readyNanos = m.timestampNanos;
          const beadId = event.data['beadId'];
          const phase = PHASES[event.type];
          if (typeof beadId === 'string' && phase) {
            const times = phases.get(beadId) ?? {};
            times[phase] ??= Number(m.timestampNanos / 1000n) / 1000;
            phases.set(beadId, times);
          }
          if (event.type === 'ConvoyLanded') {
            const landingPhaseMs = readyNanos === undefined ? Number.NaN : Number(m.timestampNanos - readyNanos) / 1e6;
            return done(() => resolve({ at, landingPhaseMs }));
          }
          if (RETRIES.includes(event.type)) retries.push(event.type);
          if (event.type === 'BeadFailed' || event.type === 'ConvoyFailed') {
            return done(() => reject(new Error(`${event.type}: ${JSON.stringify(event.data).slice(0, 500)}`)));
          }
        }
      }
    })().catch((error: unknown) => done(() => reject(error)));
  });
  landed.catch(() => undefined);
  return {
    landed,
    phases,
    retries,
    stop: async () => {
      stopped = true;
      await close();
    },
  };
}

/** Polls `probe` until it returns something, at most `timeoutMs`. */
async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | null | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

runBench('convoy-landing', GLOBAL_TIMEOUT_MS, main);
