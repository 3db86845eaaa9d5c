/**
 * (a) Convoy command throughput against raw JetStream publishes with an expected subject
 * sequence, on the same server in the same run. Each convoy command is a request to the real
 * convoy service process, a decision and one append; the baseline is the append alone.
 *
 *   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register bench/convoy-throughput.bench.ts [count]
 */
import { randomUUID } from 'node:crypto';
import { CommandClient, connectBus, deleteTopology, ensureTopology } from '@gastown/bus';
import { CommandReply, convoyIdFor, generateTownToken, hashTownToken } from '@gastown/contracts';
import { startService } from '@gastown/testing';
import { measure, percentile } from './bench.measure';

const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const COUNT = Number(process.argv[2] ?? 2000);
const CONCURRENCY = [1, 16];

async function main(): Promise<void> {
  const namespace = `bench${Date.now().toString(36)}`;
  const bus = await connectBus({ servers: NATS_URL, namespace, name: 'bench' });
  await ensureTopology(bus);
  const service = await startService('convoy', { env: { NATS_URL, GT_NAMESPACE: namespace }, readyText: 'convoy service ready' });
  try {
    const client = new CommandClient(bus);
    const townId = randomUUID();
    const rigId = randomUUID();
    const actor = { kind: 'user', id: 'bench' };
    const send = async (payload: object, subject = bus.names.commands.convoy) => {
      const reply = await client.request<CommandReply>(subject, payload);
      if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
      return reply;
    };
    await send({ type: 'CreateTown', commandId: randomUUID(), townId, actor, data: { name: 'bench', tokenHash: hashTownToken(generateTownToken()) } }, bus.names.commands.town);
    await send({ type: 'RegisterRig', commandId: randomUUID(), townId, actor, data: { rigId, name: 'rig', gitUrl: '/srv/rig.git', defaultBranch: 'main' } }, bus.names.commands.town);

    // The same shape of payload the convoy service stores for a one-bead convoy, to compare like with like.
    const sample = JSON.stringify({ v: 1, commitId: randomUUID(), prevSeq: 0, eventCount: 3, events: Array(3).fill({ type: 'BeadCreated', title: 'x'.repeat(120) }) });

    console.log(`convoy command throughput, ${COUNT} operations per row, nats ${bus.nc.info?.version}`);
    console.log('concurrency | raw publish+expect ops/s | convoy Sling ops/s | ratio | convoy p50 ms | convoy p99 ms');
    for (const concurrency of CONCURRENCY) {
      const rawPrefix = `${namespace}.evt.${randomUUID()}.convoy`;
      const raw = await measure(COUNT, concurrency, async (i) => {
        await bus.js.publish(`${rawPrefix}.${i}`, sample, { expect: { lastSubjectSequence: 0 }, msgID: `${rawPrefix}.${i}` });
      });
      const convoy = await measure(COUNT, concurrency, async () => {
        const commandId = randomUUID();
        await send({ type: 'Sling', commandId, townId, convoyId: convoyIdFor(townId, commandId), actor, data: { title: 'Fix the login redirect', rigId } });
      });
      const rawRate = COUNT / raw.seconds;
      const convoyRate = COUNT / convoy.seconds;
      console.log(
        `${String(concurrency).padStart(11)} | ${rawRate.toFixed(0).padStart(24)} | ${convoyRate.toFixed(0).padStart(18)} | ${(convoyRate / rawRate).toFixed(2).padStart(5)} | ${percentile(convoy.latencies, 50).toFixed(2).padStart(13)} | ${percentile(convoy.latencies, 99).toFixed(2).padStart(13)}`,
      );
    }
  } finally {
    await service.stop();
    await deleteTopology(bus);
    await bus.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
