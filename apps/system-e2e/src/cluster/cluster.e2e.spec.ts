import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimCheckBucket } from '@gastown/bus';
import { SystemHarness, type OriginRepository } from '@gastown/system-testing';
import { createTestDatabase, eventually, startNatsCluster, type NatsCluster, type TestDatabase } from '@gastown/testing';
import { rebuildDiff } from '../chaos/chaos.run';
import { clusterPlan, describeClusterFault, type ClusterFault } from './cluster.plan';

/**
 * Gastown on a 3-node NATS cluster with streams of 3 replicas and two replicas of every service
 * as separate processes: a convoy with dependencies across two rigs lands while one NATS node
 * and, at seeded moments, one replica of each service are SIGKILLed and started again. Nothing
 * lost, nothing merged twice, nothing dispatched twice, read models equal a rebuild.
 * CLUSTER_BEADS=100 runs the issue's full convoy; CLUSTER_SEED replays a plan.
 */
const BEADS = Number(process.env['CLUSTER_BEADS'] ?? 24);
const SEED = Number(process.env['CLUSTER_SEED'] ?? 7);
/** Faults strike while beads are being dispatched, run and merged. */
const FAULT_WINDOW_MS = 25_000;
const LANDING_BOUND_MS = Number(process.env['CLUSTER_LANDING_MS'] ?? 240_000);

const CONVOY_QUERY = `query ($id: ID!) { convoy(id: $id) { id status featureBranch
  beads { id index title status attempts { number outcome } } } }`;

interface ConvoyAnswer {
  id: string;
  status: string;
  featureBranch: string | null;
  beads: { id: string; index: number; title: string; status: string; attempts: { number: number; outcome: string }[] }[];
}

describe('Gastown on a 3-node NATS cluster', () => {
  let dir: string;
  let cluster: NatsCluster;
  let system: SystemHarness;
  let rebuilt: TestDatabase;
  const timings: string[] = [];
  const timed = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    const result = await work();
    timings.push(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return result;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gt-cluster-'));
    cluster = await timed('3-node NATS cluster up', () => startNatsCluster({ dir }));
    system = await timed('2 replicas of every service up', () =>
      SystemHarness.start({
        nats: { url: cluster.url },
        convoys: 2,
        gateways: 2,
        dispatchers: 2,
        runners: 2,
        // Each SIGKILL of a runner or a dispatcher may cost a bead an attempt (LOST): ten outlast the plan's faults.
        env: { GT_STREAM_REPLICAS: '3', DISPATCHER_START_DEADLINE_MS: '2000', CONVOY_MAX_ATTEMPTS: '10' },
      }),
    );
  }, 180_000);

  afterAll(async () => {
    process.stdout.write(`cluster suite timings (${BEADS} beads, seed ${SEED}):\n${timings.map((t) => `  ${t}`).join('\n')}\n`);
    await system?.close();
    await rebuilt?.drop();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`given ${BEADS} beads with dependencies across two rigs, when a NATS node and one replica of each service are SIGKILLed and restarted, then the convoy lands with every bead merged and dispatched exactly once`, async () => {
    const plan = clusterPlan(SEED, BEADS, FAULT_WINDOW_MS);
    const origins: Record<'a' | 'b', OriginRepository> = { a: system.origin(), b: system.origin() };
    const rigs = { a: await system.registerRig('cluster-a', origins.a.bare, { maxPolecats: 3 }), b: await system.registerRig('cluster-b', origins.b.bare, { maxPolecats: 3 }) };
    const slungAt = Date.now();
    const convoy = await system.slingBatch({
      title: `Cluster ${BEADS} beads`,
      defaultRigId: rigs.a,
      tasks: plan.tasks.map((t) => ({ title: t.title, rigId: rigs[t.rig], dependsOn: t.dependsOn })),
    });

    const injected = await timed('faults injected and recovered', () => Promise.all(plan.faults.map((fault) => inject(fault, slungAt))));
    timings.push(...injected);
    const landed = await timed('faults recovered → settled', () => system.until(convoy.id, ['LANDED', 'FAILED', 'CANCELLED'], LANDING_BOUND_MS)).catch(async (error: unknown) => {
      throw new Error(`${String(error)}\n${await whereItStands(convoy.id)}`);
    });
    timings.push(`slung → LANDED: ${((Date.now() - slungAt) / 1000).toFixed(1)} s`);

    expect(landed.status).toBe('LANDED');
    const answer = (await system.gql<{ convoy: ConvoyAnswer }>(CONVOY_QUERY, { id: convoy.id })).convoy;
    const events = await eventually('the convoy stream', () => system.events(convoy.id), { timeoutMs: 30_000, intervalMs: 200 });
    const beadOf = (e: { data: unknown }) => (e.data as { beadId?: string }).beadId;

    // Every bead merged exactly once: one BeadMerged, one merge commit on its own rig's main, none on the other's.
    const merges = (rig: 'a' | 'b') => origins[rig].read('log', '--merges', '--format=%s', 'origin/main').split('\n').filter((s) => s.startsWith('Merge bead '));
    const mergeSubjects = { a: merges('a'), b: merges('b') };
    const merged = answer.beads.map((bead) => {
      const rig = plan.tasks[bead.index]?.rig ?? 'a';
      const other = rig === 'a' ? 'b' : 'a';
      const suffix = `(${bead.id.slice(0, 8)})`;
      return {
        bead: bead.title,
        status: bead.status,
        beadMerged: events.filter((e) => e.type === 'BeadMerged' && beadOf(e) === bead.id).length,
        mergeCommitsOnItsRig: mergeSubjects[rig].filter((s) => s.endsWith(suffix)).length,
        mergeCommitsOnTheOtherRig: mergeSubjects[other].filter((s) => s.endsWith(suffix)).length,
      };
    });
    expect(merged).toEqual(answer.beads.map((b) => ({ bead: b.title, status: 'CLOSED', beadMerged: 1, mergeCommitsOnItsRig: 1, mergeCommitsOnTheOtherRig: 0 })));

    // No double dispatch: one BeadDispatched per attempt of each bead; no attempt left running.
    const dispatches = new Map<string, number>();
    for (const e of events.filter((e) => e.type === 'BeadDispatched')) {
      const key = `${beadOf(e)}#${(e.data as { attempt: number }).attempt}`;
      dispatches.set(key, (dispatches.get(key) ?? 0) + 1);
    }
    expect([...dispatches].filter(([, n]) => n > 1)).toEqual([]);
    expect(answer.beads.flatMap((b) => b.attempts.filter((a) => a.outcome === 'RUNNING').map((a) => `${b.title} attempt ${a.number}`))).toEqual([]);
    timings.push(`attempts: ${dispatches.size} for ${answer.beads.length} beads`);

    // Every stream, KV bucket and object store (the git-runner's buckets included) kept 3 copies.
    const n = system.bus.names;
    const streams = [n.eventStream, n.dlqStream, n.jobStream, n.webhookLogStream, `OBJ_${n.payloadBucket}`, `OBJ_${claimCheckBucket(n)}`];
    const buckets = [n.repositoryOwnersBucket, n.holdsBucket, n.leaseBucket, n.claimsBucket].map((b) => `KV_${b}`);
    const replicas: Record<string, number> = {};
    for (const stream of [...streams, ...buckets]) replicas[stream] = (await system.bus.jsm.streams.info(stream)).config.num_replicas;
    expect(replicas).toEqual(Object.fromEntries([...streams, ...buckets].map((s) => [s, 3])));

    // The read models equal a rebuild from the stream.
    rebuilt = await createTestDatabase();
    const diff = await timed('rebuild and compare the read models', () => rebuildDiff(system, rebuilt.url, system.db.url, cluster.url));
    expect(diff).toEqual([]);
  }, LANDING_BOUND_MS + 240_000);

  /** What a convoy that did not settle was waiting for: its beads by status, and each process's last lines. */
  async function whereItStands(convoyId: string): Promise<string> {
    const answer = await system.gql<{ convoy: ConvoyAnswer }>(CONVOY_QUERY, { id: convoyId }).catch(() => null);
    const beads = answer?.convoy.beads.map((b) => `${b.title} ${b.status} (attempts ${b.attempts.map((a) => `${a.number}:${a.outcome}`).join(' ')})`) ?? [];
    const tails = [...system.processes].map(([name, p]) => `--- ${name}\n${p.output().split('\n').slice(-15).join('\n')}`);
    return [`convoy ${answer?.convoy.status ?? 'unreadable'}: ${beads.join('; ')}`, ...tails].join('\n');
  }

  /** One fault at its moment: the victim dies without warning and comes back on the same state after its down time. */
  async function inject(fault: ClusterFault, t0: number): Promise<string> {
    const wait = t0 + fault.atMs - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const struck = Date.now();
    if (fault.kind === 'kill-nats-node') {
      await cluster.kill(fault.node);
      await new Promise((r) => setTimeout(r, fault.downMs));
      await cluster.restart(fault.node);
    } else {
      await system.kill(`${fault.service}-${fault.replica}`);
      await new Promise((r) => setTimeout(r, fault.downMs));
      await system.startProcess(fault.service, fault.replica);
    }
    return `${describeClusterFault(fault)}: struck at t+${((struck - t0) / 1000).toFixed(1)}s, back after ${((Date.now() - struck) / 1000).toFixed(1)} s`;
  }
});
