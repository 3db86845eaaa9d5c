import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StorageType } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { startNatsCluster, TEST_NATS_URL, testNamespace, type NatsCluster } from '@gastown/testing';
import { claimCheckBucket, connectBus, ensureKv, ensureTopology, StreamReplicasError, type Bus, type StreamReplicas } from './bus.connection';
import { WrongExpectedSequenceError } from './bus.errors';
import { EventStore } from './event.store';
import { convoyStarted, newConvoyScope, recordingLogger } from './testing/event.fixture';

/** Every stream ensureTopology creates, KV and object store buckets by the streams beneath them, and (leases) the git-runner's lease bucket. */
function gastownStreams(bus: Bus, { leases = true } = {}): string[] {
  const n = bus.names;
  const streams = [
    n.eventStream,
    n.dlqStream,
    n.jobStream,
    n.webhookLogStream,
    `OBJ_${n.payloadBucket}`,
    `OBJ_${claimCheckBucket(n)}`,
    `KV_${n.repositoryOwnersBucket}`,
    `KV_${n.holdsBucket}`,
  ];
  return leases ? [...streams, `KV_${n.leaseBucket}`] : streams;
}

async function replicasOf(bus: Bus, options?: { leases: boolean }): Promise<Record<string, number>> {
  const found: Record<string, number> = {};
  for (const stream of gastownStreams(bus, options)) found[stream] = (await bus.jsm.streams.info(stream)).config.num_replicas;
  return found;
}

const LEASES = { history: 1, storage: StorageType.File, allow_direct: false } as const;

/** Six replicas create one R3 bucket at once, as services started together do: one create can outlast the API's timeout. */
function leaseBucketsOf(racers: Bus[]): Promise<KV[]> {
  return Promise.all(racers.map((bus) => ensureKv(bus, bus.names.leaseBucket, LEASES)));
}

describe('GT_STREAM_REPLICAS on a 3-node JetStream cluster', () => {
  let cluster: NatsCluster;
  let dir: string;
  const buses: Bus[] = [];
  const logger = recordingLogger();
  const busOn = async (servers: string, namespace: string, streamReplicas: StreamReplicas) => {
    const bus = await connectBus({ servers, namespace, name: 'stream-replicas-spec', logger, streamReplicas });
    buses.push(bus);
    return bus;
  };
  const everyStream = (bus: Bus, replicas: number, options?: { leases: boolean }) => Object.fromEntries(gastownStreams(bus, options).map((s) => [s, replicas]));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gt-replicas-'));
    cluster = await startNatsCluster({ dir });
  });

  afterAll(async () => {
    await Promise.all(buses.map((b) => b.close()));
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('given 3 replicas, when the topology is created, then every stream, KV bucket and object store keeps 3 copies', async () => {
    const bus = await busOn(cluster.url, testNamespace(), 3);
    await Promise.all([ensureTopology(bus), ensureTopology(bus)]);
    await ensureKv(bus, bus.names.leaseBucket, LEASES);

    expect(await replicasOf(bus)).toEqual(everyStream(bus, 3));
  });

  it('given an install created with one copy, when a service upgraded to 3 replicas starts, then every stream is raised to 3 and keeps what it stored', async () => {
    const namespace = testNamespace();
    const before = await busOn(cluster.url, namespace, 1);
    await ensureTopology(before);
    await ensureKv(before, before.names.leaseBucket, LEASES);
    await before.js.publish(`${namespace}.evt.town.t1`, 'stored before the upgrade');
    await (await ensureKv(before, before.names.holdsBucket, LEASES)).put('held.gateway.x', 'a hold');
    expect(await replicasOf(before)).toEqual(everyStream(before, 1));

    const after = await busOn(cluster.url, namespace, 3);
    await ensureTopology(after);
    await ensureKv(after, after.names.leaseBucket, LEASES);

    expect(await replicasOf(after)).toEqual(everyStream(after, 3));
    expect(logger.lines).toEqual(expect.arrayContaining(gastownStreams(after).map((stream) => `info stream ${stream} now keeps 3 copies`)));
    const kept = await after.jsm.streams.getMessage(after.names.eventStream, { seq: 1 });
    expect(kept?.string()).toBe('stored before the upgrade');
    expect((await (await ensureKv(after, after.names.holdsBucket, LEASES)).get('held.gateway.x'))?.string()).toBe('a hold');
  });

  it('given streams with 3 copies, when a service still set to one copy starts, then nothing is lowered', async () => {
    const namespace = testNamespace();
    const raised = await busOn(cluster.url, namespace, 3);
    await ensureTopology(raised);
    const older = await busOn(cluster.url, namespace, 1);
    await ensureTopology(older);

    expect(await replicasOf(older, { leases: false })).toEqual(everyStream(older, 3, { leases: false }));
  });

  it('given writers racing on one convoy through different nodes of an R3 stream, when they append, then the chain stays unbroken and exactly one wins each place', async () => {
    // nats-server before 2.9.21 lets concurrent writers all pass the expected-sequence check on a replicated stream (nats-server#4320).
    const namespace = testNamespace();
    const writers = await Promise.all(cluster.nodes.flatMap((node) => [node, node]).map((node) => busOn(`nats://127.0.0.1:${node.port}`, namespace, 3)));
    await ensureTopology(writers[0] as Bus);
    const scope = newConvoyScope((writers[0] as Bus).names);
    const perWriter = 8;
    let conflicts = 0;
    await Promise.all(
      writers.map(async (bus, w) => {
        const store = new EventStore(bus);
        for (let i = 0; i < perWriter; i++) {
          for (;;) {
            try {
              await store.append(scope.subject, { commitId: `w${w}-${i}`, expectedSeq: await store.lastSeq(scope.subject), events: [convoyStarted(scope)] });
              break;
            } catch (error) {
              if (!(error instanceof WrongExpectedSequenceError)) throw error;
              conflicts++;
            }
          }
        }
      }),
    );

    const commits = await new EventStore(writers[0] as Bus).readSubject(scope.subject);
    expect(commits).toHaveLength(writers.length * perWriter);
    expect(commits.map((c) => c.prevSeq)).toEqual(commits.map((_, i) => (i === 0 ? 0 : (commits[i - 1]?.seq ?? -1))));
    expect(conflicts).toBeGreaterThan(0);
  });

  it('given runners racing for one lease through different nodes of an R3 bucket, when they create or update it, then exactly one wins each revision', async () => {
    const namespace = testNamespace();
    const racers = await Promise.all(cluster.nodes.flatMap((node) => [node, node]).map((node) => busOn(`nats://127.0.0.1:${node.port}`, namespace, 3)));
    const buckets = await leaseBucketsOf(racers);
    const won = (results: PromiseSettledResult<number>[]) => results.filter((r) => r.status === 'fulfilled').length;
    const rounds = 20;
    const winners: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const key = `rig.r${round}`;
      winners.push(won(await Promise.allSettled(buckets.map((kv, i) => kv.create(key, `holder ${i}`)))));
      const revision = (await buckets[0]?.get(key))?.revision ?? 0;
      winners.push(won(await Promise.allSettled(buckets.map((kv, i) => kv.update(key, `taken over by ${i}`, revision)))));
    }

    expect(winners).toEqual(Array.from({ length: rounds * 2 }, () => 1));
  });

  it('given an old holder releasing a lease while others take over that same revision, through different nodes of an R3 bucket, then exactly one of them wins and a takeover is never deleted', async () => {
    const namespace = testNamespace();
    const racers = await Promise.all(cluster.nodes.flatMap((node) => [node, node]).map((node) => busOn(`nats://127.0.0.1:${node.port}`, namespace, 3)));
    const buckets = await leaseBucketsOf(racers);
    const rounds = 20;
    const outcomes: string[] = [];
    for (let round = 0; round < rounds; round++) {
      const key = `rig.r${round}`;
      const revision = await (buckets[0] as KV).create(key, 'old holder');
      const [release, ...takeovers] = await Promise.allSettled([
        (buckets[0] as KV).delete(key, { previousSeq: revision }),
        ...buckets.slice(1).map((kv, i) => kv.update(key, `taken over by ${i}`, revision)),
      ]);
      const winners = [release, ...takeovers].filter((r) => r.status === 'fulfilled').length;
      const now = await (buckets[0] as KV).get(key);
      // The stored state is the winner's: a release leaves a delete marker, a takeover its holder.
      const agrees = release?.status === 'fulfilled' ? now?.operation === 'DEL' : now?.operation === 'PUT' && now.revision === revision + 1;
      outcomes.push(`${winners} winner, ${agrees ? 'stored' : `stored ${now?.operation} at ${now?.revision}`}`);
    }

    expect(outcomes).toEqual(Array.from({ length: rounds }, () => '1 winner, stored'));
  });

  it('given 5 replicas on 3 servers, when the topology is created, then the service refuses to start saying what the cluster has', async () => {
    const bus = await busOn(cluster.url, testNamespace(), 5);
    const refused = ensureTopology(bus);
    await expect(refused).rejects.toThrow(StreamReplicasError);
    await expect(refused).rejects.toThrow(
      `GT_STREAM_REPLICAS=5 asks for 5 copies of stream ${bus.names.eventStream}, but NATS cluster "gt" has 3 servers ` +
        '(the server answered: no suitable peers for placement); run at least 5 clustered nats-servers with JetStream, or lower GT_STREAM_REPLICAS',
    );
  });

  it('given 3 replicas on a single server, when the topology is created, then the service refuses to start saying the server is not clustered', async () => {
    const bus = await busOn(TEST_NATS_URL, testNamespace(), 3);
    await expect(ensureTopology(bus)).rejects.toThrow(
      `GT_STREAM_REPLICAS=3 asks for 3 copies of stream ${bus.names.eventStream}, but the NATS server is not part of a cluster ` +
        '(the server answered: replicas > 1 not supported in non-clustered mode); run at least 3 clustered nats-servers with JetStream, or lower GT_STREAM_REPLICAS',
    );
  });
});
