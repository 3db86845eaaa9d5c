import { randomUUID } from 'node:crypto';
import { TEST_NATS_URL, testNamespace } from '@gastown/testing';
import { connectBus, deleteTopology, ensureTopology, type Bus } from './bus.connection';
import { EventStore } from './event.store';
import { followStream, type StreamFollower } from './stream.follower';
import { convoyStarted, newConvoyScope, recordingLogger, type ConvoyScope } from './testing/event.fixture';

describe('following the event stream', () => {
  let bus: Bus;
  let store: EventStore;
  const open: StreamFollower[] = [];

  beforeAll(async () => {
    bus = await connectBus({ servers: TEST_NATS_URL, namespace: testNamespace(), name: 'bus-follower-spec', logger: recordingLogger() });
    await ensureTopology(bus);
    store = new EventStore(bus);
  });

  afterEach(async () => {
    for (const follower of open.splice(0)) await follower.return();
  });

  afterAll(async () => {
    await deleteTopology(bus);
    await bus.close();
  });

  const follow = async (options: Parameters<typeof followStream>[1]) => {
    const follower = await followStream(bus, options);
    open.push(follower);
    return follower;
  };

  /** Appends `count` commits to the subject, each expecting the previous one. */
  async function appendCommits(scope: ConvoyScope, count: number): Promise<number[]> {
    const seqs: number[] = [];
    let last = await store.lastSeq(scope.subject);
    for (let i = 0; i < count; i++) {
      last = (await store.append(scope.subject, { commitId: randomUUID(), expectedSeq: last, events: [convoyStarted(scope)] })).seq;
      seqs.push(last);
    }
    return seqs;
  }

  async function take(follower: StreamFollower, count: number): Promise<number[]> {
    const seqs: number[] = [];
    while (seqs.length < count) {
      const next = await follower.next();
      if (next.done) break;
      seqs.push(next.value.seq);
    }
    return seqs;
  }

  it('given a sequence to resume from while commits keep coming, when followed, then every later commit arrives once and in order', async () => {
    const scope = newConvoyScope(bus.names);
    const stored = await appendCommits(scope, 5);

    const follower = await follow({ filterSubject: scope.subject, afterSeq: stored[1], batch: 2 });
    const appending = appendCommits(scope, 6);
    const received = await take(follower, 3 + 6);

    expect(received).toEqual([...stored.slice(2), ...(await appending)]);
  });

  it('given no sequence, when followed, then only commits stored afterwards arrive', async () => {
    const scope = newConvoyScope(bus.names);
    await appendCommits(scope, 3);

    const follower = await follow({ filterSubject: scope.subject });
    const later = await appendCommits(scope, 2);

    expect(await take(follower, 2)).toEqual(later);
  });

  it('given a town wildcard, when followed, then commits of each convoy of the town arrive and no other town', async () => {
    const townId = randomUUID();
    const a = newConvoyScope(bus.names, townId);
    const b = newConvoyScope(bus.names, townId);
    const elsewhere = newConvoyScope(bus.names);
    const follower = await follow({ filterSubject: bus.names.townConvoyEvents(townId) });

    const [a1] = await appendCommits(a, 1);
    await appendCommits(elsewhere, 1);
    const [b1] = await appendCommits(b, 1);

    const commits = [await follower.next(), await follower.next()].map((r) => (r.done ? null : [r.value.seq, r.value.subject]));
    expect(commits).toEqual([
      [a1, a.subject],
      [b1, b.subject],
    ]);
  });

  it('given a reader that stops pulling, when many commits are stored, then at most one batch is delivered to the process', async () => {
    const scope = newConvoyScope(bus.names);
    const follower = await follow({ filterSubject: scope.subject, afterSeq: 0, batch: 4 });
    await appendCommits(scope, 41);
    await take(follower, 1);

    const [consumer] = await bus.jsm.consumers.list(bus.names.eventStream).next();
    const info = await bus.jsm.consumers.info(bus.names.eventStream, consumer.name);

    expect(info.delivered.consumer_seq).toBeLessThanOrEqual(4);
    expect(info.num_pending).toBeGreaterThanOrEqual(36);
  });

  it('given a pull waiting for new commits, when the reader returns, then the pending next ends at once and the consumer is gone', async () => {
    const scope = newConvoyScope(bus.names);
    const follower = await follow({ filterSubject: scope.subject });
    const waiting = follower.next();

    const started = Date.now();
    await follower.return();

    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await bus.jsm.consumers.list(bus.names.eventStream).next()).toEqual([]);
  });
});
