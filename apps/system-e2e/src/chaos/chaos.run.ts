import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { SystemHarness, type OriginRepository } from '@gastown/system-testing';
import { eventually, freePort, startNatsServer, TEST_SECRETS_KEY, WORKSPACE_ROOT, type NatsServerProcess } from '@gastown/testing';
import { ChaosFaults } from './chaos.faults';
import {
  beadFile,
  diffReadModels,
  TERMINAL,
  violations,
  type BranchEvidence,
  type ChaosEvidence,
  type ConvoyEvidence,
  type HoldEvidence,
  type ReadModelSnapshot,
} from './chaos.invariants';
import { ChaosPostgres } from './chaos.postgres';
import { chaosPlan, describeFault, type ChaosConvoy, type ChaosPlan } from './chaos.schedule';

const run = promisify(execFile);

/** How long the convoys get to end on their own after the last fault has recovered. */
export const SETTLE_BOUND_MS = Number(process.env['CHAOS_SETTLE_MS'] ?? 180_000);

export interface ChaosOutcome {
  readonly seed: number;
  readonly plan: ChaosPlan;
  readonly violations: readonly string[];
  /** What happened on the way: faults injected, the close race, final statuses, holds. */
  readonly notes: readonly string[];
  readonly seconds: number;
}

const CONVOY_QUERY = `query ($id: ID!) { convoy(id: $id) { id status held heldReason featureBranch
  beads { id title status lastReason attempts { number outcome } } } }`;

interface ConvoyAnswer {
  id: string;
  status: string;
  held: boolean;
  heldReason: string | null;
  featureBranch: string | null;
  beads: { id: string; title: string; status: string; lastReason: string | null; attempts: { number: number; outcome: string }[] }[];
}

interface Slung {
  readonly spec: ChaosConvoy;
  readonly id: string;
  readonly origin: OriginRepository;
}

/**
 * Every read-model table in a stable order with its key columns (as the gateway's own
 * live-versus-rebuild test snapshots them; that fixture lives inside the gateway, out of an app's reach).
 */
const READ_MODEL_KEYS: Record<string, string[]> = {
  towns: ['id'],
  rigs: ['id'],
  webhooks: ['id'],
  convoys: ['id'],
  beads: ['id'],
  bead_dependencies: ['bead_id', 'depends_on_bead_id'],
  bead_attempts: ['bead_id', 'number'],
  agents: ['town_id', 'agent_id'],
  convoy_events: ['seq', 'idx'],
  projection_checkpoints: ['subject'],
  projection_holds: ['subject'],
};
/** What a replay reproduces: not when a hold was taken, which is the moment its projector met the message. */
const REPLAYABLE_COLUMNS: Record<string, string> = { projection_holds: 'subject, seq, reason' };

/**
 * One seed, start to end: its own nats-server and PostgreSQL, the whole system on them, the
 * plan's convoys slung, its faults injected at their moments while closeConvoy races the last
 * merge of one convoy, then the invariants. Everything started is stopped, whatever happens.
 */
export async function runChaosSeed(seed: number, log: (line: string) => void = () => undefined): Promise<ChaosOutcome> {
  const started = Date.now();
  const plan = chaosPlan(seed);
  const notes: string[] = [];
  const note = (line: string) => {
    notes.push(line);
    log(`seed ${seed}: ${line}`);
  };
  const storeDir = await mkdtemp(join(tmpdir(), 'gt-chaos-nats-'));
  let nats: NatsServerProcess | undefined;
  let postgres: ChaosPostgres | undefined;
  let system: SystemHarness | undefined;
  let faults: ChaosFaults | undefined;
  try {
    nats = await startNatsServer({ port: await freePort(), storeDir });
    postgres = await ChaosPostgres.start(await freePort());
    const liveUrl = await postgres.createDatabase('gastown_live');
    // DATABASE_URL overrides the harness's database on the shared cluster (created and dropped unused), which a fault must never stop.
    system = await SystemHarness.start({
      nats: { url: nats.url },
      // Each SIGKILL of a runner or the dispatcher may cost a bead an attempt (LOST); ten outlast any plan's faults.
      env: { DATABASE_URL: liveUrl, DISPATCHER_START_DEADLINE_MS: '2000', CONVOY_MAX_ATTEMPTS: '10' },
    });
    faults = new ChaosFaults(system, nats, postgres);

    const slung = await sling(system, plan);
    const t0 = Date.now();
    const racer = raceClose(system, slung, plan.closeDelayMs, note);
    for (const fault of plan.faults) {
      const wait = t0 + fault.atMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      note(`${describeFault(fault)} (injected at t+${((Date.now() - t0) / 1000).toFixed(1)}s)`);
      await faults.inject(fault);
    }
    note(`last fault recovered at t+${((Date.now() - t0) / 1000).toFixed(1)}s`);

    const settled = await settle(system, slung);
    await racer;
    const evidence: ChaosEvidence = {
      convoys: await Promise.all(slung.map((s) => convoyEvidence(system as SystemHarness, s, settled.has(s.id)))),
      settleBoundMs: SETTLE_BOUND_MS,
      readModelDiff: await rebuildDiff(system, await postgres.createDatabase('gastown_rebuilt'), liveUrl, faults.natsServer().url),
      holds: await holds(system, liveUrl, faults.natsServer().url),
    };
    for (const c of evidence.convoys) note(`${c.name} ${c.status} (${c.beads.map((b) => `${b.title} ${b.status}`).join(', ')})`);
    for (const h of evidence.holds) note(`hold: ${h.service} ${h.subject}: ${h.reason}`);
    return { seed, plan, violations: violations(evidence), notes, seconds: (Date.now() - started) / 1000 };
  } catch (error) {
    // Where it failed, too: a bare "timeout" from a NATS read says nothing of which step asked.
    const where = error instanceof Error ? (error.stack ?? '').split('\n').slice(1, 4).map((line) => line.trim()).join(' < ') : '';
    const crashed = `the run itself failed: ${error instanceof Error ? error.message : String(error)}${where ? ` (${where})` : ''}`;
    return { seed, plan, violations: [crashed], notes, seconds: (Date.now() - started) / 1000 };
  } finally {
    await system?.close().catch((error: unknown) => log(`seed ${seed}: closing the system: ${String(error)}`));
    await (faults?.natsServer() ?? nats)?.kill();
    await postgres?.remove();
    await rm(storeDir, { recursive: true, force: true });
  }
}

async function sling(system: SystemHarness, plan: ChaosPlan): Promise<Slung[]> {
  const slung: Slung[] = [];
  for (const spec of plan.convoys) {
    const origin = system.origin();
    const rigId = await system.registerRig(`chaos-${spec.name}`, origin.bare, { maxPolecats: 2 });
    const created = await system.slingBatch({ title: `Chaos ${spec.name}`, defaultRigId: rigId, mergeMode: spec.mergeMode, tasks: spec.tasks });
    slung.push({ spec, id: created.id, origin });
  }
  return slung;
}

/**
 * closeConvoy sent as the racing convoy's last bead waits for its merge (every other bead
 * closed, the last in review). Retried with one command id through gateway and bus outages, so
 * it takes effect at most once; CONFLICT (the merge won) is an answer too.
 */
async function raceClose(system: SystemHarness, slung: readonly Slung[], delayMs: number, note: (line: string) => void): Promise<void> {
  const target = slung.find((s) => s.spec.closeRacesLastMerge);
  if (!target) return;
  const deadline = Date.now() + 120_000 + SETTLE_BOUND_MS;
  const commandId = `chaos-close-${target.id}`;
  let answer: string | null = null;
  let sent = false;
  while (!answer && Date.now() < deadline) {
    try {
      if (!sent) {
        const convoy = await system.convoy(target.id);
        if (TERMINAL.includes(convoy.status)) {
          answer = `not sent: the convoy ended ${convoy.status} before its last merge was under way`;
          break;
        }
        const { total, closed, inReview } = convoy.progress;
        if (closed !== total - 1 || inReview !== 1) {
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        await new Promise((r) => setTimeout(r, delayMs));
        sent = true;
      }
      const reply = await system.gqlRaw<{ closeConvoy: { status: string } }>(
        'mutation ($id: ID!, $commandId: String) { closeConvoy(id: $id, commandId: $commandId, reason: "chaos: closed racing the last merge") { status } }',
        { id: target.id, commandId },
      );
      const code = reply.errors?.[0]?.extensions?.code;
      if (reply.data) answer = `accepted (${reply.data.closeConvoy.status})`;
      else if (code && ['CONFLICT', 'NOT_FOUND', 'BAD_USER_INPUT'].includes(code)) answer = `refused ${code}: ${reply.errors?.[0]?.message}`;
      else await new Promise((r) => setTimeout(r, 200));
    } catch {
      // The gateway is down or restarting: ask again.
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  note(`closeConvoy on "${target.spec.name}" ${delayMs} ms after its last submission: ${answer ?? 'no answer before the deadline'}`);
}

/** The convoys that ended LANDED, FAILED or CANCELLED within the bound. */
async function settle(system: SystemHarness, slung: readonly Slung[]): Promise<Set<string>> {
  const settled = new Set<string>();
  await Promise.all(
    slung.map(async (s) => {
      if (await system.until(s.id, TERMINAL, SETTLE_BOUND_MS).catch(() => null)) settled.add(s.id);
    }),
  );
  return settled;
}

async function convoyEvidence(system: SystemHarness, s: Slung, settled: boolean): Promise<ConvoyEvidence> {
  const convoy = await eventually('the convoy read model', async () => (await system.gql<{ convoy: ConvoyAnswer }>(CONVOY_QUERY, { id: s.id })).convoy, {
    timeoutMs: 30_000,
    intervalMs: 200,
  });
  // The harness's own NATS connection may still be reconnecting after a nats-server restart (a
  // read then times out on a loaded machine): read again until the stream answers.
  const events = await eventually('the convoy stream', () => system.events(s.id), { timeoutMs: 30_000, intervalMs: 200 });
  const data = (e: { data: unknown }) => e.data as { beadId?: string; branch?: string };
  const branches = s.origin.branches();
  const targets = ['main', ...(convoy.featureBranch ? [convoy.featureBranch] : [])];
  const branchEvidence = (name: string): BranchEvidence => ({
    name,
    mergeSubjects: s.origin.read('log', '--merges', '--format=%s', `origin/${name}`).split('\n').filter(Boolean),
    beadFileAdds: Object.fromEntries(convoy.beads.map((b) => [beadFile(b.id), s.origin.commitsAdding(name, beadFile(b.id)).length])),
    files: s.origin.read('ls-tree', '-r', '--name-only', `origin/${name}`).split('\n').filter(Boolean),
  });
  return {
    name: s.spec.name,
    id: s.id,
    closed: s.spec.closeRacesLastMerge,
    status: convoy.status,
    settled,
    held: convoy.held,
    heldReason: convoy.heldReason,
    beads: convoy.beads.map((b) => ({
      id: b.id,
      title: b.title,
      status: b.status,
      lastReason: b.lastReason,
      attempts: b.attempts,
      ownBranches: events.filter((e) => e.type === 'BeadDispatched' && data(e).beadId === b.id).map((e) => data(e).branch as string),
      mergedEvents: events.filter((e) => e.type === 'BeadMerged' && data(e).beadId === b.id).length,
    })),
    branches: branches.map(branchEvidence),
    targets,
    targetPushes: s.origin
      .pushes()
      .filter((push) => targets.includes(push.branch))
      .map((push) => ({ ...push, tree: s.origin.treeOf(push.to) })),
    checkedCommits: events
      .filter((e) => e.type === 'MergeBatchChecked' && (e.data as { outcome: string }).outcome !== 'FAILED')
      .map((e) => (e.data as { commit: string }).commit),
    checkedLandingTrees: events.filter((e) => e.type === 'RigLandingPrepared').map((e) => (e.data as { tree: string }).tree),
  };
}

/**
 * Rebuilds the read models from the stream into a second (empty) database with the operator's
 * command (`npm run rebuild-read-models`), then compares them with the live ones once the live
 * projector has caught up (its checkpoints equal the rebuild's), within a deadline.
 */
export async function rebuildDiff(system: SystemHarness, rebuiltUrl: string, liveUrl: string, natsUrl: string): Promise<string[]> {
  await operatorCommand('services/gateway/src/projection/rebuild.main.ts', [], { DATABASE_URL: rebuiltUrl, NATS_URL: natsUrl, GT_NAMESPACE: system.namespace });
  const rebuilt = await snapshot(rebuiltUrl);
  let diff: string[] = [];
  await eventually(
    'the live read models to equal the rebuild',
    async () => {
      diff = diffReadModels(await snapshot(liveUrl), rebuilt, READ_MODEL_KEYS);
      return diff.length === 0;
    },
    { timeoutMs: 30_000, intervalMs: 500 },
  ).catch(() => undefined);
  return diff;
}

async function snapshot(url: string): Promise<ReadModelSnapshot> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const tables: ReadModelSnapshot = {};
    for (const [table, keys] of Object.entries(READ_MODEL_KEYS)) tables[table] = (await client.query(`SELECT ${REPLAYABLE_COLUMNS[table] ?? '*'} FROM ${table} ORDER BY ${keys.join(', ')}`)).rows;
    return tables;
  } finally {
    await client.end();
  }
}

/** The projector's and the dispatcher's holds, as `npm run holds -- list --json` gives them to an operator. */
async function holds(system: SystemHarness, liveUrl: string, natsUrl: string): Promise<HoldEvidence[]> {
  const out = await operatorCommand('services/gateway/src/holds/holds.main.ts', ['list', '--json'], {
    DATABASE_URL: liveUrl,
    NATS_URL: natsUrl,
    GT_NAMESPACE: system.namespace,
  });
  return (JSON.parse(out) as { service: string; subject: string; reason?: string | null }[]).map((h) => ({
    service: h.service,
    subject: h.subject,
    reason: h.reason ?? null,
  }));
}

async function operatorCommand(script: string, args: string[], env: Record<string, string>): Promise<string> {
  const { stdout } = await run(process.execPath, ['-r', '@swc-node/register', join(WORKSPACE_ROOT, script), ...args], {
    cwd: WORKSPACE_ROOT,
    env: { ...process.env, GASTOWN_SECRETS_KEY: TEST_SECRETS_KEY, SWC_NODE_PROJECT: join(WORKSPACE_ROOT, 'tsconfig.base.json'), ...env },
    timeout: 120_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}
