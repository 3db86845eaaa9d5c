/**
 * Time to land convoys with the demo agent, through the real convoy, gateway, dispatcher and
 * git-runner processes on temporary bare repositories. Three groups of rows (LANDING_ROWS):
 *
 * `dag` — a 50-bead DAG convoy: slingBatch through GraphQL until the convoy's ConvoyLanded
 * commit is stored. The DAG: 5 layers of 10 beads, each bead depending on 1–2 beads of the
 * previous layer, so the critical path is 5 beads plus the landing. The rig has no checks and
 * the default config (maxPolecats 4); further maxPolecats values can be given as arguments
 * (default: 1 4 10; 1 runs one attempt at a time, so the runner's overhead per attempt is measured
 * as plain git's is, without other attempts on the same cores). For a value above 4 the
 * git-runner gets GIT_RUNNER_MAX_AGENTS of the same value (its default, 4, would cap it). Each
 * row also prints the rig's git operations, waiting and running (gastown_rig_git_seconds).
 *   Lower bound, same machine, same run: what a perfect orchestrator with zero overhead needs in
 *   git for the same work along the convoy's critical path — for each bead on it `git worktree
 *   add` from the feature branch, write the bead's file (what the demo agent writes), commit,
 *   merge --no-ff into the feature branch, push; then the landing merge into main and its push.
 *   For context, the same steps for all 50 beads one after another. Each is the median of three
 *   runs on fresh repositories.
 *   Ideal schedule (issue 13's target: time to land within 3× it): the makespan of a zero-latency
 *   orchestrator with the step durations this run measured — the DAG on maxPolecats agent slots,
 *   each attempt as long as the runner's mean of its polecat steps summed (worktree … submit), a
 *   bead startable once its dependencies are merged, merges one at a time per rig, then the
 *   landing. A merge costs plain git's merge --no-ff and push of a bead, the landing plain git's
 *   landing merge and push (medians of the serial plain-git runs): only those, because the
 *   polecat steps already pay for the worktree, the write and the commit, and counting them again
 *   would lower the bar.
 *
 * `checks` — 50 independent beads (a parallel convoy) on a rig whose one check sleeps 2 s,
 * maxPolecats 10 on a runner with 10 agents so the agents are not what the refinery waits for;
 * once with the merge queue's defaults and once as the serial refinery it replaced
 * (mergeBatchMax 1, speculativeDepth 1, checkConcurrency 1: one merge and one check run per
 * bead). Issue 13's targets: serial ≈ 100 s of checks, the queue under 20 s, measured on the
 * refinery tail (last BeadSubmitted → ConvoyReadyToLand): time to land also holds the agents'
 * time, which is not the refinery's.
 *
 * `failing` — the same convoy and check, one bead of which (its body tells the demo agent to
 * write a file the check refuses) fails the check on every attempt: the queue must isolate it,
 * merge the other 49 and send only it back until its attempts are spent and the convoy fails.
 * Both refineries; measured until the 49 others are merged and until ConvoyFailed.
 *
 *   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register bench/convoy-landing.bench.ts [maxPolecats...]
 *   LANDING_ROWS=checks,failing …   only those groups (comma-separated, of dag, checks, failing; default all)
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
const VARIANTS = process.argv.slice(2).length > 0 ? process.argv.slice(2).map(Number) : [1, DEFAULT_RIG_CONFIG.maxPolecats, 10];
const ROW_GROUPS = ['dag', 'checks', 'failing'] as const;
type RowGroup = (typeof ROW_GROUPS)[number];
const ROWS = new Set((process.env['LANDING_ROWS'] ?? ROW_GROUPS.join(',')).split(',').map((row) => row.trim()));
const LAND_TIMEOUT_MS = 10 * 60_000;
const GLOBAL_TIMEOUT_MS = 60 * 60_000;

/** The check rows: enough polecats that the refinery, not the agents, decides the tail. */
const CHECK_POLECATS = 10;
const CHECK_SLEEP_MS = 2000;
const SLEEPING_CHECK = { name: 'sleep', command: ['node', '-e', `setTimeout(() => {}, ${CHECK_SLEEP_MS})`] };
/** The file the culprit's body makes the demo agent write, and the check that refuses it after the same sleep. */
const BROKEN_FILE = 'bench-broken.txt';
const REFUSING_CHECK = {
  name: 'sleep-then-refuse',
  command: [
    'node',
    '-e',
    `setTimeout(() => { if (require('fs').existsSync('${BROKEN_FILE}')) { console.error('${BROKEN_FILE} breaks the build'); process.exit(1) } }, ${CHECK_SLEEP_MS})`,
  ],
};
/** Not first nor last, so the culprit sits inside a batch. */
const CULPRIT = 21;

interface Refinery {
  name: string;
  config: { mergeBatchMax?: number; speculativeDepth?: number; checkConcurrency?: number };
}
const REFINERIES: Refinery[] = [
  { name: 'queue 8/2/2 (defaults)', config: {} },
  { name: 'serial 1/1/1', config: { mergeBatchMax: 1, speculativeDepth: 1, checkConcurrency: 1 } },
];

interface Task {
  title: string;
  body?: string;
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

/** BEADS beads waiting for nothing; the `culprit`, if any, writes the file the refusing check fails on. */
function independent(culprit?: number): Task[] {
  return Array.from({ length: BEADS }, (_, i) => ({
    title: `Independent task ${i}`,
    ...(i === culprit ? { body: `demo:edit ${BROKEN_FILE} this bead breaks the checks` } : {}),
    dependsOn: [],
  }));
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

/**
 * The makespan of a zero-latency orchestrator: `slots` agents take ready beads in plan order,
 * each attempt lasts `attemptMs`, each submitted bead is merged after `mergeMs` once the merges
 * before it are done (one at a time, in submission order), a bead is ready once all its
 * dependencies are merged, and the landing takes `landingMs` after the last merge.
 */
function idealSchedule(tasks: Task[], slots: number, attemptMs: number, mergeMs: number, landingMs: number): number {
  const waitingFor = tasks.map((task) => task.dependsOn.length);
  const dependents = tasks.map(() => [] as number[]);
  tasks.forEach((task, i) => task.dependsOn.forEach((d) => dependents[d].push(i)));
  const ready = tasks.flatMap((task, i) => (task.dependsOn.length === 0 ? [i] : []));
  const events: { at: number; kind: 'submitted' | 'merged'; bead: number }[] = [];
  let free = slots;
  let now = 0;
  let mergerFreeAt = 0;
  let merged = 0;
  for (;;) {
    for (; free > 0 && ready.length > 0; free--) events.push({ at: now + attemptMs, kind: 'submitted', bead: ready.shift() as number });
    events.sort((a, b) => a.at - b.at);
    const event = events.shift();
    if (!event) break;
    now = event.at;
    if (event.kind === 'submitted') {
      free++;
      mergerFreeAt = Math.max(now, mergerFreeAt) + mergeMs;
      events.push({ at: mergerFreeAt, kind: 'merged', bead: event.bead });
    } else {
      merged++;
      for (const d of dependents[event.bead]) if (--waitingFor[d] === 0) ready.push(d);
    }
  }
  if (merged !== tasks.length) throw new Error(`the ideal schedule merged ${merged} of ${tasks.length} beads (a cycle?)`);
  return now + landingMs;
}

/** The file the demo agent writes for a bead (whatever its body). */
const beadFile = (beadId: string) => `beads/${beadId.slice(0, 8)}.md`;
const beadText = (title: string) => `# ${title}\n`;

interface PlainGit {
  /** The whole git work. */
  ms: number;
  /** Of which the beads' merge --no-ff and push, summed, and the landing's merge and push. */
  mergeMs: number;
  landingMs: number;
}

/**
 * The git a perfect orchestrator needs for `beads` in order, then the landing, on a fresh origin;
 * returns the milliseconds of the git work (the origin and its clone are made before the clock starts).
 */
async function plainGit(root: string, beads: { id: string; title: string }[]): Promise<PlainGit> {
  const dir = await mkdtemp(join(root, 'plain-'));
  try {
    const bare = await createOrigin(dir);
    const clone = join(dir, 'clone');
    await git(dir, 'clone', '--quiet', bare, clone);
    const feature = join(dir, 'feature');
    const started = performance.now();
    let mergeMs = 0;
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
      const merging = performance.now();
      await git(feature, 'merge', '--quiet', '--no-ff', '-m', `Merge bead "${bead.title}"`, branch);
      await git(feature, 'push', '--quiet', 'origin', 'feature');
      mergeMs += performance.now() - merging;
    }
    const landing = performance.now();
    await git(clone, 'merge', '--quiet', '--no-ff', '-m', 'Land convoy', 'feature');
    await git(clone, 'push', '--quiet', 'origin', 'main');
    const ended = performance.now();
    const landed = (await git(bare, 'ls-tree', '-r', '--name-only', 'main', 'beads/')).split('\n').filter(Boolean);
    if (landed.length !== beads.length) throw new Error(`plain git landed ${landed.length} bead files, expected ${beads.length}`);
    return { ms: ended - started, mergeMs, landingMs: ended - landing };
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
  /** The git-runner's mean ms waiting/running per rig git operation. */
  git: Map<string, string>;
}

/** A run of the check rows: one convoy of independent beads through one refinery. */
interface QueueRun {
  refinery: Refinery;
  /** slingBatch sent → ConvoyLanded (or ConvoyFailed) delivered. */
  endMs: number;
  /** Last BeadSubmitted → ConvoyReadyToLand, stored timestamps; NaN when the convoy failed. */
  tailMs: number;
  landingPhaseMs: number;
  /** slingBatch sent → the BEADS − 1 -th BeadMerged delivered: every bead but a culprit in. */
  othersMergedMs: number;
  history: History;
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

const GIT_OPERATIONS = ['fetchBase', 'addWorktree', 'checkout', 'commitAll', 'pushBranch', 'removeWorktree', 'buildBatch', 'addScratch', 'mergeBatch', 'pushMerge'] as const;

/** Mean ms waiting and running per rig git operation, from gastown_rig_git_seconds: "waiting/running". */
async function gitOperations(healthPort: number): Promise<Map<string, string>> {
  const text = await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
  const mean = (operation: string, state: string) => {
    const value = (suffix: string) => {
      const line = text
        .split('\n')
        .find((l) => l.startsWith(`gastown_rig_git_seconds_${suffix}{`) && l.includes(`operation="${operation}"`) && l.includes(`state="${state}"`));
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
    };
    return ((value('sum') / value('count')) * 1000).toFixed(0);
  };
  return new Map(GIT_OPERATIONS.map((operation) => [operation, `${mean(operation, 'waiting')}/${mean(operation, 'running')}`]));
}

interface GqlAnswer<T> {
  data?: T;
  errors?: { message: string }[];
}

async function main(teardown: Teardown): Promise<void> {
  const unknown = [...ROWS].filter((row) => !(ROW_GROUPS as readonly string[]).includes(row));
  if (unknown.length > 0) throw new Error(`LANDING_ROWS: unknown ${unknown.join(', ')} (known: ${ROW_GROUPS.join(', ')})`);
  const runs = (group: RowGroup) => ROWS.has(group);
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

  // A fresh runner per row, so its /metrics hold that row's attempts only, with as many agent slots as the rig may use (4, its default, at least).
  let runner: { process: ServiceProcess; healthPort: number } | undefined;
  const freshRunner = async (name: string, agents: number) => {
    await runner?.process.stop();
    const healthPort = await freePort();
    const [process] = await startServices(teardown, env, [
      {
        service: 'git-runner',
        env: {
          GIT_RUNNER_HEALTH_PORT: String(healthPort),
          GIT_RUNNER_ID: name,
          GIT_RUNNER_DATA_DIR: join(root, name),
          ...(agents === 4 ? {} : { GIT_RUNNER_MAX_AGENTS: String(agents) }),
        },
      },
    ]);
    runner = { process, healthPort };
    return runner;
  };
  const context: RunContext = { bus, gql, root, townId };

  console.log(
    `convoy landing: review-then-land, demo agent, nats ${bus.nc.info?.version}, git ${(await git(root, '--version')).replace('git version ', '')}, ${cpus().length} cores`,
  );
  if (runs('dag')) await dagRows(context, freshRunner);
  if (runs('checks')) {
    const sleeping: QueueRun[] = [];
    for (const refinery of REFINERIES) {
      const { process } = await freshRunner(`git-runner-checks-${sleeping.length}`, CHECK_POLECATS);
      sleeping.push(await throughQueue(context, process, refinery, SLEEPING_CHECK));
    }
    printCheckRows(sleeping);
  }
  if (runs('failing')) {
    const failing: QueueRun[] = [];
    for (const refinery of REFINERIES) {
      const { process } = await freshRunner(`git-runner-failing-${failing.length}`, CHECK_POLECATS);
      failing.push(await throughQueue(context, process, refinery, REFUSING_CHECK, CULPRIT));
    }
    printFailingRows(failing);
  }
}

type FreshRunner = (name: string, agents: number) => Promise<{ process: ServiceProcess; healthPort: number }>;

async function dagRows(context: RunContext, freshRunner: FreshRunner): Promise<void> {
  const tasks = plan();
  const path = criticalPath(tasks);
  if (path.length !== LAYERS) throw new Error(`the plan's critical path has ${path.length} beads, expected ${LAYERS}`);

  // The plain-git lower bounds, while the services stand idle.
  const sampleConvoy = randomUUID();
  const beads = tasks.map((task, i) => ({ id: beadIdFor(sampleConvoy, i), title: task.title }));
  const critical: PlainGit[] = [];
  const serial: PlainGit[] = [];
  for (let run = 0; run < PLAIN_GIT_RUNS; run++) {
    critical.push(await plainGit(context.root, path.map((i) => beads[i])));
    serial.push(await plainGit(context.root, beads));
  }
  const criticalMs = median(critical.map((p) => p.ms));
  const serialMs = median(serial.map((p) => p.ms));
  const mergeMs = median(serial.map((p) => p.mergeMs / BEADS));
  const landingMs = median(serial.map((p) => p.landingMs));

  const landings: Landing[] = [];
  for (const maxPolecats of VARIANTS) {
    if (!Number.isInteger(maxPolecats) || maxPolecats < 1 || maxPolecats > 64) throw new Error(`maxPolecats ${maxPolecats} is not 1 to 64`);
    const runnerAgents = Math.max(maxPolecats, 4);
    const { process, healthPort } = await freshRunner(`git-runner-p${maxPolecats}`, runnerAgents);
    landings.push({ ...(await land(context, tasks, maxPolecats, process, runnerAgents)), steps: await polecatSteps(healthPort), git: await gitOperations(healthPort) });
  }
  const attemptMs = (l: Landing) => STEPS.reduce((sum, step) => sum + (l.steps.get(step) ?? NaN), 0);
  const idealMs = (l: Landing) => idealSchedule(tasks, l.maxPolecats, attemptMs(l), mergeMs, landingMs);

  console.log(
    `\n${BEADS} beads in ${LAYERS} layers of ${WIDTH}, each waiting for 1–2 beads of the previous layer ` +
      `(critical path ${LAYERS} beads + landing), no checks`,
  );
  console.log(
    `plain-git lower bound, median of ${PLAIN_GIT_RUNS} (worktree add, write, commit, merge --no-ff, push per bead; landing merge and push): ` +
      `critical path ${criticalMs.toFixed(0)} ms, all ${BEADS} beads serially ${serialMs.toFixed(0)} ms, ` +
      `of which merge --no-ff + push ${mergeMs.toFixed(1)} ms per bead and the landing ${landingMs.toFixed(1)} ms`,
  );
  console.log(
    'time to land: slingBatch sent → its ConvoyLanded commit delivered from the stream; ratio: time to land / critical-path git; ' +
      `ideal schedule: the DAG on maxPolecats slots, each attempt the runner's summed step means (table below), ` +
      `one merge at a time at plain git's merge + push per bead, then the landing's merge + push (issue 13's target: ratio to ideal ≤ 3); ` +
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
    ['ideal schedule ms', (l: Landing) => idealMs(l).toFixed(0)],
    ['ratio to ideal', (l: Landing) => (l.landMs / idealMs(l)).toFixed(2)],
    ['slingBatch returned ms', (l: Landing) => l.acceptedMs.toFixed(0)],
    ['dispatch→submit ms (median)', (l: Landing) => l.agentPhaseMs.toFixed(0)],
    ['submit→merge ms (median)', (l: Landing) => l.reviewPhaseMs.toFixed(0)],
    ['merge interval ms (mean)', (l: Landing) => l.mergeIntervalMs.toFixed(0)],
    ['landing phase ms', (l: Landing) => l.landingPhaseMs.toFixed(0)],
    ['demo agent run ms (median)', (l: Landing) => (l.agentRuns.length > 0 ? median(l.agentRuns).toFixed(0) : 'n/a')],
    ['retries', (l: Landing) => retriesCell(l.retries)],
  ] as const;
  printTable(cells, landings);

  // What the runner adds to each agent run, next to what plain git needs for the same bead.
  const overhead = (l: Landing) => STEPS.filter((step) => step !== 'agent').reduce((sum, step) => sum + (l.steps.get(step) ?? NaN), 0);
  console.log(
    "runner per attempt: the git-runner's mean ms per polecat step (gastown_polecat_step_duration_seconds); overhead: every step but the agent's run; " +
      `plain git per bead: all ${BEADS} beads serially / ${BEADS} (worktree add, write, commit, merge --no-ff, push)`,
  );
  const stepCells = [
    ['maxPolecats', (l: Landing) => String(l.maxPolecats)],
    ...STEPS.map((step) => [`${step} ms`, (l: Landing) => (l.steps.get(step) ?? NaN).toFixed(1)] as const),
    ['attempt ms', (l: Landing) => attemptMs(l).toFixed(1)],
    ['overhead ms', (l: Landing) => overhead(l).toFixed(1)],
    ['plain git per bead ms', () => (serialMs / BEADS).toFixed(1)],
    ['overhead ratio', (l: Landing) => (overhead(l) / (serialMs / BEADS)).toFixed(1)],
  ] as const;
  printTable(stepCells, landings);

  console.log("the rig's git operations (gastown_rig_git_seconds), mean ms waiting (for its lane: the clone-wide queue, the worktree registry) / running, over the whole run");
  const gitCells = [
    ['maxPolecats', (l: Landing) => String(l.maxPolecats)],
    ...GIT_OPERATIONS.map((operation) => [operation, (l: Landing) => l.git.get(operation) ?? 'n/a'] as const),
  ] as const;
  printTable(gitCells, landings);
}

function printTable<T>(cells: readonly (readonly [string, (row: T) => string])[], rows: T[]): void {
  console.log(cells.map(([title]) => title).join(' | '));
  for (const row of rows) console.log(cells.map(([title, value]) => value(row).padStart(title.length)).join(' | '));
}

/** Check runs as the history tells them: recorded verdicts (MergeBatchChecked), and runs started, stopped ones included (MergeBatchEnded.checkRuns). */
const recordedRuns = (h: History) => [...h.batches.values()].reduce((sum, b) => sum + b.checked, 0);
const startedRuns = (h: History) => [...h.batches.values()].reduce((sum, b) => sum + (b.checkRuns ?? 0), 0);
const checkTimeMs = (h: History) => [...h.batches.values()].reduce((sum, b) => sum + b.checkMs, 0);
function batchOutcomes(h: History): string {
  const counts = new Map<string, number>();
  for (const batch of h.batches.values()) counts.set(batch.outcome ?? 'OPEN', (counts.get(batch.outcome ?? 'OPEN') ?? 0) + 1);
  return `${h.batches.size} (${[...counts].map(([outcome, n]) => `${n} ${outcome}`).join(', ')})`;
}
const largestBatch = (h: History) => Math.max(0, ...[...h.batches.values()].map((b) => b.size));

function printCheckRows(runs: QueueRun[]): void {
  const serial = runs[runs.length - 1];
  console.log(
    `\n${BEADS} independent beads, check sleeping ${CHECK_SLEEP_MS / 1000} s (argv ${JSON.stringify(SLEEPING_CHECK.command)}), ` +
      `maxPolecats ${CHECK_POLECATS}, runner agents ${CHECK_POLECATS}; refinery: mergeBatchMax/speculativeDepth/checkConcurrency`,
  );
  console.log(
    'time to land: slingBatch sent → ConvoyLanded delivered; refinery tail: last BeadSubmitted → ConvoyReadyToLand (stored timestamps: ' +
      "the refinery's share once the agents are done, the measure of issue 13's targets: serial ≈ 100 s of checks, the queue under 20 s); " +
      `landing phase: ConvoyReadyToLand → ConvoyLanded (one more check run, on the landing); check runs: recorded verdicts (MergeBatchChecked) / ` +
      'started, stopped speculative runs included (sum of MergeBatchEnded.checkRuns); check time: sum of the recorded runs’ durationMs; ratios: this refinery / the serial one',
  );
  const cells = [
    ['refinery', (r: QueueRun) => r.refinery.name],
    ['time to land ms', (r: QueueRun) => r.endMs.toFixed(0)],
    ['refinery tail ms', (r: QueueRun) => r.tailMs.toFixed(0)],
    ['landing phase ms', (r: QueueRun) => r.landingPhaseMs.toFixed(0)],
    ['check runs', (r: QueueRun) => `${recordedRuns(r.history)} / ${startedRuns(r.history)}`],
    ['check time ms', (r: QueueRun) => checkTimeMs(r.history).toFixed(0)],
    ['batches', (r: QueueRun) => batchOutcomes(r.history)],
    ['largest batch', (r: QueueRun) => String(largestBatch(r.history))],
    ['land ratio to serial', (r: QueueRun) => (r.endMs / serial.endMs).toFixed(2)],
    ['tail ratio to serial', (r: QueueRun) => (r.tailMs / serial.tailMs).toFixed(2)],
    ['retries', (r: QueueRun) => retriesCell(r.history.retries)],
  ] as const;
  printTable(cells, runs);
  runs.forEach(printReasons);
}

function printFailingRows(runs: QueueRun[]): void {
  console.log(
    `\n${BEADS} independent beads, one failing: bead ${CULPRIT} writes ${BROKEN_FILE}, which the check (sleeping ${CHECK_SLEEP_MS / 1000} s) refuses, ` +
      `on every attempt; maxPolecats ${CHECK_POLECATS}, runner agents ${CHECK_POLECATS}; refinery: mergeBatchMax/speculativeDepth/checkConcurrency`,
  );
  console.log(
    `others merged: slingBatch sent → the ${BEADS - 1}th BeadMerged delivered; convoy failed: → ConvoyFailed delivered (the culprit's attempts spent); ` +
      'culprit reworks: its BeadReworkRequested, one per attempt; first rework: whether a batch\'s bisection "isolated this bead" or it failed alone in a batch of one; ' +
      'other reworks: BeadReworkRequested of any other bead (none expected); check runs and batches as above',
  );
  const culpritReworks = (r: QueueRun) => r.history.reworks.filter((w) => w.beadId === r.history.culprit);
  const cells = [
    ['refinery', (r: QueueRun) => r.refinery.name],
    ['others merged ms', (r: QueueRun) => r.othersMergedMs.toFixed(0)],
    ['convoy failed ms', (r: QueueRun) => r.endMs.toFixed(0)],
    ['check runs', (r: QueueRun) => `${recordedRuns(r.history)} / ${startedRuns(r.history)}`],
    ['check time ms', (r: QueueRun) => checkTimeMs(r.history).toFixed(0)],
    ['batches', (r: QueueRun) => batchOutcomes(r.history)],
    ['culprit reworks', (r: QueueRun) => String(culpritReworks(r).length)],
    ['first rework', (r: QueueRun) => firstRework(culpritReworks(r)[0]?.reason)],
    ['other reworks', (r: QueueRun) => String(r.history.reworks.length - culpritReworks(r).length)],
  ] as const;
  printTable(cells, runs);
  for (const run of runs) {
    const first = culpritReworks(run)[0];
    if (first) console.log(`  ${run.refinery.name}, first rework of the culprit: ${first.reason.split('\n')[0]}`);
    printReasons(run);
  }
}

/** How the culprit was first found: a batch's bisection isolated it, or it failed alone (a batch of one says only the check's failure). */
function firstRework(reason: string | undefined): string {
  if (reason === undefined) return 'none';
  if (reason.includes('isolated this bead')) return 'isolated by bisection';
  return reason.startsWith('check "') ? 'failed alone' : 'other';
}

const retriesCell = (retries: string[]) => (retries.length === 0 ? '0' : `${retries.length} (${[...new Set(retries)].join(', ')})`);

type Gql = <T>(query: string, variables?: Record<string, unknown>) => Promise<T>;

interface RunContext {
  bus: Bus;
  gql: Gql;
  root: string;
  townId: string;
}

type RigConfigInput = Refinery['config'] & { maxPolecats?: number; checks?: { name: string; command: string[] }[] };

/** A rig on a fresh origin; checks that the gateway kept every setting given. */
async function registerRig(context: RunContext, name: string, config: RigConfigInput): Promise<{ rigId: string; bare: string }> {
  const bare = await createOrigin(join(context.root, `origin-${name}`));
  const { registerRig: rig } = await context.gql<{ registerRig: { id: string; config: Record<string, unknown> } }>(
    'mutation ($input: RegisterRigInput!) { registerRig(input: $input) { id config { maxPolecats mergeBatchMax speculativeDepth checkConcurrency checks { name command } } } }',
    { input: { name, gitUrl: bare, defaultBranch: 'main', config } },
  );
  for (const [key, value] of Object.entries(config)) {
    if (JSON.stringify(rig.config[key]) !== JSON.stringify(value)) throw new Error(`the rig has ${key} ${JSON.stringify(rig.config[key])}, expected ${JSON.stringify(value)}`);
  }
  return { rigId: rig.id, bare };
}

/** slingBatch of `tasks` on the rig, followed until the convoy lands (or fails, when `culprit` is given). */
async function sling(context: RunContext, rigId: string, title: string, tasks: Task[], culprit?: number): Promise<{ convoyId: string; started: number; acceptedMs: number; watch: ConvoyWatch }> {
  const commandId = randomUUID();
  const convoyId = convoyIdFor(context.townId, commandId);
  const watch = watchConvoy(context.bus, context.bus.names.convoyEvents(context.townId, convoyId), culprit === undefined ? undefined : beadIdFor(convoyId, culprit));
  const started = performance.now();
  const parallel = tasks.every((task) => task.dependsOn.length === 0);
  const { slingBatch } = await context.gql<{ slingBatch: { id: string; progress: { total: number } } }>(
    'mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { id progress { total } } }',
    { input: { title, defaultRigId: rigId, tasks, parallel, commandId } },
  );
  const acceptedMs = performance.now() - started;
  if (slingBatch.id !== convoyId || slingBatch.progress.total !== tasks.length) throw new Error(`unexpected slingBatch answer ${JSON.stringify(slingBatch)}`);
  return { convoyId, started, acceptedMs, watch };
}

/** The read model says LANDED with every bead closed, and origin's main holds every bead's file. */
async function verifyLanded(context: RunContext, convoyId: string, bare: string, beads: number): Promise<void> {
  const read = await until('the read model to show the convoy LANDED', 30_000, async () => {
    const { convoy } = await context.gql<{ convoy: { status: string; progress: { closed: number }; beads: { id: string }[] } }>(
      'query ($id: ID!) { convoy(id: $id) { status progress { closed } beads { id } } }',
      { id: convoyId },
    );
    return convoy.status === 'LANDED' ? convoy : null;
  });
  if (read.progress.closed !== beads) throw new Error(`LANDED with ${read.progress.closed} of ${beads} beads closed`);
  const files = new Set((await git(bare, 'ls-tree', '-r', '--name-only', 'main', 'beads/')).split('\n'));
  const missing = read.beads.filter((bead) => !files.has(beadFile(bead.id)));
  if (missing.length > 0) throw new Error(`origin's main lacks the files of ${missing.length} beads`);
}

/** One convoy on a fresh origin and rig: slingBatch until its ConvoyLanded is stored; checks what landed. */
async function land(context: RunContext, tasks: Task[], maxPolecats: number, runner: ServiceProcess, runnerAgents: number): Promise<Omit<Landing, 'steps' | 'git'>> {
  const { rigId, bare } = await registerRig(context, `bench-p${maxPolecats}`, maxPolecats === DEFAULT_RIG_CONFIG.maxPolecats ? {} : { maxPolecats });
  const outputBefore = runner.output().length;
  const { convoyId, started, acceptedMs, watch } = await sling(context, rigId, `Bench convoy (maxPolecats ${maxPolecats})`, tasks);
  try {
    const landed = await watch.ended;
    const landMs = landed.at - started;
    await verifyLanded(context, convoyId, bare, BEADS);

    const agentRuns = [...runner.output().slice(outputBefore).matchAll(/ done in (\d+) ms/g)].map((m) => Number(m[1]));
    const times = [...watch.history.phases.values()];
    const agentPhaseMs = median(times.map((t) => (t.submitted ?? Number.NaN) - (t.dispatched ?? Number.NaN)));
    const reviewPhaseMs = median(times.map((t) => (t.merged ?? Number.NaN) - (t.submitted ?? Number.NaN)));
    const merges = times.map((t) => t.merged ?? Number.NaN).sort((a, b) => a - b);
    const mergeIntervalMs = (merges[merges.length - 1] - merges[0]) / (merges.length - 1);
    return {
      maxPolecats,
      runnerAgents,
      landMs,
      acceptedMs,
      landingPhaseMs: landingPhase(watch.history),
      agentRuns,
      agentPhaseMs,
      reviewPhaseMs,
      mergeIntervalMs,
      retries: [...watch.history.retries],
    };
  } finally {
    await watch.stop();
  }
}

const landingPhase = (h: History) => (h.landed ?? Number.NaN) - (h.readyToLand ?? Number.NaN);

/**
 * BEADS independent beads through one refinery on a fresh rig whose only check is `check`:
 * until the convoy lands, or, with a `culprit`, until it fails on that bead alone.
 */
async function throughQueue(context: RunContext, runner: ServiceProcess, refinery: Refinery, check: { name: string; command: string[] }, culprit?: number): Promise<QueueRun> {
  const name = `bench-${culprit === undefined ? 'checks' : 'failing'}-${randomUUID().slice(0, 8)}`;
  const { rigId, bare } = await registerRig(context, name, { maxPolecats: CHECK_POLECATS, checks: [check], ...refinery.config });
  const outputBefore = runner.output().length;
  const { convoyId, started, watch } = await sling(context, rigId, `Bench ${name} (${refinery.name})`, independent(culprit), culprit);
  try {
    const ended = await watch.ended;
    const history = watch.history;
    // The refinery ends the culprit's last batch after the rework that failed the convoy: a batch still open after a while is worth seeing.
    const settled = Date.now() + 10_000;
    while (Date.now() < settled && [...history.batches.values()].some((batch) => batch.outcome === undefined)) await new Promise((resolve) => setTimeout(resolve, 100));
    if (culprit === undefined) await verifyLanded(context, convoyId, bare, BEADS);
    else await verifyAllButCulprit(bare, history, convoyId, culprit);
    reportRunnerErrors(refinery.name, runner.output().slice(outputBefore));
    return {
      refinery,
      endMs: ended.at - started,
      tailMs: (history.readyToLand ?? Number.NaN) - (history.lastSubmitted ?? Number.NaN),
      landingPhaseMs: landingPhase(history),
      othersMergedMs: (history.mergedAt.sort((a, b) => a - b)[BEADS - 2] ?? Number.NaN) - started,
      history,
    };
  } finally {
    await watch.stop();
  }
}

/** The runner's ERROR and WARN lines of a run, counted per message (ids, times and numbers aside): a healthy run has none. */
function reportRunnerErrors(run: string, output: string): void {
  const counts = new Map<string, number>();
  for (const line of output.split('\n')) {
    const level = /\s(ERROR|WARN)\s/.exec(line);
    if (!level) continue;
    const message = line.slice(level.index + 1).replace(/[0-9a-f]{8,}/g, 'X').replace(/\d+/g, 'N').slice(0, 300);
    counts.set(message, (counts.get(message) ?? 0) + 1);
  }
  for (const [message, count] of counts) console.error(`${run}: the runner logged ${count}× ${message}`);
}

/** Why batches did not merge whole and attempts failed, counted per reason's first line: what the columns cannot say. */
function printReasons(run: QueueRun): void {
  const counts = new Map<string, number>();
  const count = (what: string) => counts.set(what, (counts.get(what) ?? 0) + 1);
  for (const batch of run.history.batches.values()) {
    if (batch.outcome !== 'MERGED') count(`batch of ${batch.size} ${batch.outcome ?? 'OPEN'}: ${(batch.reason ?? '').split('\n')[0].replace(/[0-9a-f]{8}/g, 'X')}`);
  }
  for (const reason of run.history.attemptFailures) count(`BeadAttemptFailed: ${reason.split('\n')[0].slice(0, 300)}`);
  for (const [what, n] of counts) console.log(`  ${run.refinery.name}: ${n}× ${what}`);
}

/** Every bead but the culprit merged into origin's feature branch, the culprit's file nowhere. */
async function verifyAllButCulprit(bare: string, history: History, convoyId: string, culprit: number): Promise<void> {
  if (history.targetBranch === undefined) throw new Error('no bead was merged');
  const files = (await git(bare, 'ls-tree', '-r', '--name-only', history.targetBranch)).split('\n');
  const beadFiles = files.filter((file) => file.startsWith('beads/'));
  if (beadFiles.length !== BEADS - 1) throw new Error(`${history.targetBranch} holds ${beadFiles.length} bead files, expected ${BEADS - 1}`);
  if (files.includes(BROKEN_FILE) || beadFiles.includes(beadFile(beadIdFor(convoyId, culprit)))) throw new Error(`the culprit's change reached ${history.targetBranch}`);
}

/** Events of a bead or landing going round again: counted, since they are part of what the run cost. */
const PHASES: Record<string, 'dispatched' | 'submitted' | 'merged'> = { BeadDispatched: 'dispatched', BeadSubmitted: 'submitted', BeadMerged: 'merged' };
const RETRIES = ['BeadReworkRequested', 'BeadAttemptFailed', 'BeadAgentLost', 'ConvoyLandingFailed'];

/** What a convoy's history told so far; times are the stream's stored timestamps (ms) unless said otherwise. */
interface History {
  /** Per bead, its first BeadDispatched, BeadSubmitted and BeadMerged. */
  phases: Map<string, { dispatched?: number; submitted?: number; merged?: number }>;
  /** Types of the retry events. */
  retries: string[];
  reworks: { beadId: string; reason: string }[];
  attemptFailures: string[];
  /** The bead expected to fail, if any. */
  culprit?: string;
  lastSubmitted?: number;
  readyToLand?: number;
  landed?: number;
  /** performance.now() when each BeadMerged was delivered, on the clock of the bench's start times. */
  mergedAt: number[];
  targetBranch?: string;
  batches: Map<string, { size: number; checked: number; checkMs: number; outcome?: string; checkRuns?: number; reason?: string }>;
}

interface ConvoyWatch {
  /** When the ConvoyLanded (or the expected ConvoyFailed) commit was delivered (performance.now()). */
  ended: Promise<{ at: number }>;
  history: History;
  stop(): Promise<void>;
}

/**
 * Follows one convoy's subject with an ordered consumer (stored commits only), until stopped:
 * `ended` resolves at ConvoyLanded, or, with a `culprit`, at a ConvoyFailed for that bead alone;
 * any other failure rejects it.
 */
function watchConvoy(bus: Bus, subject: string, culprit?: string): ConvoyWatch {
  let stopped = false;
  let close: () => Promise<void> = async () => undefined;
  const history: History = { phases: new Map(), retries: [], reworks: [], attemptFailures: [], culprit, mergedAt: [], batches: new Map() };
  const ended = new Promise<{ at: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the convoy did not end within ${LAND_TIMEOUT_MS / 1000} s`)), LAND_TIMEOUT_MS);
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
      for await (const m of messages) {
        const at = performance.now();
        const storedMs = Number(m.timestampNanos / 1000n) / 1000;
        const commit = JSON.parse(new TextDecoder().decode(m.data)) as { events?: { type: string; data: Record<string, unknown> }[] };
        for (const event of commit.events ?? []) {
          const data = event.data;
          const beadId = data['beadId'];
          const phase = PHASES[event.type];
          if (typeof beadId === 'string' && phase) {
            const times = history.phases.get(beadId) ?? {};
            times[phase] ??= storedMs;
            history.phases.set(beadId, times);
          }
          const batchId = data['batchId'] as string;
          switch (event.type) {
            case 'BeadSubmitted':
              history.lastSubmitted = storedMs;
              break;
            case 'BeadMerged':
              history.mergedAt.push(at);
              history.targetBranch ??= data['targetBranch'] as string;
              break;
            case 'BeadReworkRequested':
              history.reworks.push({ beadId: beadId as string, reason: data['reason'] as string });
              break;
            case 'BeadAttemptFailed':
              history.attemptFailures.push(data['reason'] as string);
              break;
            case 'MergeBatchStarted':
              history.batches.set(batchId, { size: (data['beads'] as unknown[]).length, checked: 0, checkMs: 0 });
              break;
            case 'MergeBatchChecked': {
              const batch = history.batches.get(batchId);
              if (batch) {
                batch.checked += 1;
                batch.checkMs += data['durationMs'] as number;
              }
              break;
            }
            case 'MergeBatchEnded': {
              const batch = history.batches.get(batchId);
              if (batch) Object.assign(batch, { outcome: data['outcome'] as string, checkRuns: data['checkRuns'] as number, reason: (data['reason'] as string | null) ?? undefined });
              break;
            }
            case 'ConvoyReadyToLand':
              history.readyToLand = storedMs;
              break;
            case 'ConvoyLanded':
              history.landed = storedMs;
              done(() => resolve({ at }));
              break;
          }
          if (RETRIES.includes(event.type)) history.retries.push(event.type);
          const expected =
            (event.type === 'BeadFailed' && beadId === culprit) ||
            (event.type === 'ConvoyFailed' && culprit !== undefined && JSON.stringify(data['failedBeadIds']) === JSON.stringify([culprit]));
          if (event.type === 'ConvoyFailed' && expected) done(() => resolve({ at }));
          if ((event.type === 'BeadFailed' || event.type === 'ConvoyFailed') && !expected) {
            return done(() => reject(new Error(`${event.type}: ${JSON.stringify(data).slice(0, 500)}`)));
          }
        }
      }
    })().catch((error: unknown) => done(() => reject(error)));
  });
  ended.catch(() => undefined);
  return {
    ended,
    history,
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
