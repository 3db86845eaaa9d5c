/**
 * Throughput as replicas are added, two measures on the same systems:
 *   - commands: BURST staged one-task convoys created through GraphQL, 16 in flight, spread over
 *     the gateway replicas (each a slingBatch: gateway → convoy service → event stream →
 *     projector → read model, answered once readable), as created per second;
 *   - landing: CONVOYS convoys of BEADS independent beads, each on a rig of its own, slung at
 *     once and landed by the demo agent, as beads landed per minute (and the commands the
 *     services stored meanwhile per second);
 * on
 *   - one nats-server with one copy of each stream and one replica of every service (the baseline),
 *   - a 3-node nats-server cluster on loopback with GT_STREAM_REPLICAS=3 and 1, 2 and 3 replicas
 *     of the convoy service, the gateway and the git-runner (one dispatcher: it is active-active,
 *     each replica does the whole work),
 * each measured in the same run, with the ratio to the baseline. On a machine of two cores every replica competes for the same CPUs: the ratios show
 * the cost of replication and of more processes, not a speed-up (see docs/capacity.md).
 *
 *   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register bench/scale.bench.ts [convoys] [beads] [burst]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SystemHarness } from '@gastown/system-testing';
import { freePort, startNatsCluster, startNatsServer } from '@gastown/testing';
import { pool, runBench, Teardown } from './bench.system';

const CONVOYS = Number(process.argv[2] ?? 6);
const BEADS = Number(process.argv[3] ?? 4);
const BURST = Number(process.argv[4] ?? 200);
const IN_FLIGHT = 16;
const LAND_TIMEOUT_MS = 10 * 60_000;
const GLOBAL_TIMEOUT_MS = 40 * 60_000;

interface Setup {
  readonly name: string;
  readonly cluster: boolean;
  readonly replicas: number;
}

const SETUPS: readonly Setup[] = [
  { name: '1 node, R1, 1 replica each (baseline)', cluster: false, replicas: 1 },
  { name: '3-node cluster, R3, 1 replica each', cluster: true, replicas: 1 },
  { name: '3-node cluster, R3, 2 replicas each', cluster: true, replicas: 2 },
  { name: '3-node cluster, R3, 3 replicas each', cluster: true, replicas: 3 },
];

interface Measured {
  readonly setup: Setup;
  /** The command burst: staged convoys created per second through GraphQL. */
  readonly createdPerSecond: number;
  readonly seconds: number;
  readonly commits: number;
  readonly startupSeconds: number;
}

/** NATS of the setup's own (a store directory each), removed by the teardown. */
async function startNats(teardown: Teardown, setup: Setup): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gt-scale-bench-'));
  teardown.add(`removing ${dir}`, () => rm(dir, { recursive: true, force: true }));
  if (setup.cluster) {
    const cluster = await startNatsCluster({ dir });
    teardown.add('stopping the NATS cluster', () => cluster.stop());
    return cluster.url;
  }
  const server = await startNatsServer({ port: await freePort(), storeDir: dir });
  teardown.add('stopping nats-server', () => server.kill());
  return server.url;
}

async function measure(setup: Setup): Promise<Measured> {
  const local = new Teardown();
  try {
    const url = await startNats(local, setup);
    const booted = Date.now();
    const system = await SystemHarness.start({
      nats: { url },
      convoys: setup.replicas,
      gateways: setup.replicas,
      runners: setup.replicas,
      // The burst is one town's: its mutation budget would otherwise be what is measured.
      env: { GT_STREAM_REPLICAS: setup.cluster ? '3' : '1', GATEWAY_MUTATION_BURST: '1000000', GATEWAY_MUTATIONS_PER_SECOND: '1000000' },
    });
    local.add('stopping the services', () => system.close());
    const startupSeconds = (Date.now() - booted) / 1000;
    const burstRig = await system.registerRig('scale-burst', system.origin().bare);
    const burstStarted = Date.now();
    await pool(Array.from({ length: BURST }, (_, i) => i), IN_FLIGHT, async (i) => {
      await system.slingBatch({ title: `Burst ${i}`, defaultRigId: burstRig, staged: true, tasks: [{ title: `burst ${i}` }] });
    });
    const createdPerSecond = BURST / ((Date.now() - burstStarted) / 1000);
    const rigs = await Promise.all(Array.from({ length: CONVOYS }, (_, i) => system.registerRig(`scale-${i}`, system.origin().bare, { maxPolecats: BEADS })));
    const before = (await system.bus.jsm.streams.info(system.bus.names.eventStream)).state.messages;
    const started = Date.now();
    const convoys = await Promise.all(
      rigs.map((rigId, i) =>
        system.slingBatch({ title: `Scale ${i}`, defaultRigId: rigId, parallel: true, tasks: Array.from({ length: BEADS }, (_, b) => ({ title: `convoy ${i} bead ${b}` })) }),
      ),
    );
    const ends = await Promise.all(convoys.map((c) => system.until(c.id, ['LANDED', 'FAILED', 'CANCELLED'], LAND_TIMEOUT_MS)));
    const seconds = (Date.now() - started) / 1000;
    const failed = ends.filter((c) => c.status !== 'LANDED');
    if (failed.length > 0) throw new Error(`${setup.name}: ${failed.length} convoys ended ${failed.map((c) => c.status).join(', ')}`);
    const commits = (await system.bus.jsm.streams.info(system.bus.names.eventStream)).state.messages - before;
    return { setup, createdPerSecond, seconds, commits, startupSeconds };
  } finally {
    await local.run();
  }
}

runBench('scale', GLOBAL_TIMEOUT_MS, async () => {
  console.log(`scale bench: a burst of ${BURST} staged convoys (${IN_FLIGHT} in flight); ${CONVOYS} independent convoys × ${BEADS} beads, demo agent; ${cpus().length} cores\n`);
  const rows: Measured[] = [];
  for (const setup of SETUPS) {
    const m = await measure(setup);
    rows.push(m);
    console.log(`  ${setup.name}: ${m.createdPerSecond.toFixed(1)} convoys created/s; landed in ${m.seconds.toFixed(1)} s (services up in ${m.startupSeconds.toFixed(1)} s)`);
  }
  const base = rows[0] as Measured;
  const perSecond = (m: Measured) => m.commits / m.seconds;
  const perMinute = (m: Measured) => (CONVOYS * BEADS * 60) / m.seconds;
  const ratio = (value: number, baseline: number) => (value / baseline).toFixed(2);
  console.log('\n| setup | convoys created/s (burst) | × baseline | beads landed/min | × baseline | commands stored/s while landing |');
  console.log('|---|---|---|---|---|---|');
  for (const m of rows) {
    console.log(
      `| ${m.setup.name} | ${m.createdPerSecond.toFixed(1)} | ${ratio(m.createdPerSecond, base.createdPerSecond)} | ` +
        `${perMinute(m).toFixed(1)} | ${ratio(perMinute(m), perMinute(base))} | ${perSecond(m).toFixed(1)} |`,
    );
  }
});
