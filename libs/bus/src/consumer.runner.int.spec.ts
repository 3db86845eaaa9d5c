import { randomUUID } from 'node:crypto';
import { eventually, TEST_NATS_URL, testNamespace } from '@gastown/testing';
import { AckPolicy } from '@nats-io/jetstream';
import { connectBus, deleteTopology, ensureTopology, nanos, type Bus } from './bus.connection';
import { readDeadLetters, runConsumer, runMessageConsumer, type ConsumerOptions, type RunningConsumer } from './consumer.runner';
import { EventStore, type StoredCommit } from './event.store';
import { beadsCreated, convoyStarted, newConvoyScope, recordingLogger, type ConvoyScope } from './testing/event.fixture';

describe('runConsumer', () => {
  let bus: Bus;
  let store: EventStore;
  const running: RunningConsumer[] = [];
  const logger = recordingLogger();

  beforeAll(async () => {
    bus = await connectBus({ servers: TEST_NATS_URL, namespace: testNamespace(), name: 'bus-consumer-spec', logger });
    await ensureTopology(bus);
    store = new EventStore(bus);
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((c) => c.stop()));
  });

  afterAll(async () => {
    await deleteTopology(bus);
    await bus.close();
  });

  /** A town of its own per test, so each consumer only sees its test's messages. */
  function town(): { townId: string; filterSubject: string; convoy(): ConvoyScope } {
    const townId = randomUUID();
    return {
      townId,
      filterSubject: bus.names.townConvoyEvents(townId),
      convoy: () => newConvoyScope(bus.names, townId),
    };
  }

  async function start(options: Omit<ConsumerOptions, 'durable'> & { durable?: string }): Promise<string> {
    const durable = options.durable ?? `c_${randomUUID().slice(0, 8)}`;
    running.push(await runConsumer(bus, { ...options, durable }));
    return durable;
  }

  async function appendStarted(scope: ConvoyScope, commitId = randomUUID()): Promise<number> {
    const expectedSeq = await store.lastSeq(scope.subject);
    return (await store.append(scope.subject, { commitId, expectedSeq, events: [convoyStarted(scope)] })).seq;
  }

  it('redelivers after a handler error with back-off, then succeeds', async () => {
    const t = town();
    const scope = t.convoy();
    const seq = await appendStarted(scope);
    const deliveries: { count: number; at: number }[] = [];
    const handled: number[] = [];
    const durable = await start({
      filterSubject: t.filterSubject,
      maxDeliver: 5,
      ackWaitMs: 5_000,
      backoffMs: [300, 600],
      handler: async (commit, ctx) => {
        deliveries.push({ count: ctx.deliveryCount, at: Date.now() });
        if (ctx.deliveryCount < 3) throw new Error(`projection store unavailable (${ctx.deliveryCount})`);
        handled.push(commit.seq);
      },
    });

    await eventually('the third delivery to succeed', async () => handled.length === 1);
    expect(handled).toEqual([seq]);
    expect(deliveries.map((d) => d.count)).toEqual([1, 2, 3]);
    expect(deliveries[1].at - deliveries[0].at).toBeGreaterThanOrEqual(280);
    expect(deliveries[2].at - deliveries[1].at).toBeGreaterThanOrEqual(580);
    expect(await readDeadLetters(bus, durable)).toEqual([]);
    const info = await bus.jsm.consumers.info(bus.names.eventStream, durable);
    expect(info.config).toMatchObject({ max_deliver: 5, max_ack_pending: 1, ack_wait: 5_300 * 1e6 });
    expect(info.config.backoff).toEqual([5_300 * 1e6, 5_600 * 1e6]);
    await eventually('the ack to reach the server', async () => {
      const now = await bus.jsm.consumers.info(bus.names.eventStream, durable);
      return now.num_ack_pending === 0 && now.ack_floor.stream_seq === seq;
    });
  });

  it('parks a poison message with its reason and keeps the other subjects flowing', async () => {
    const t = town();
    const [bad, garbage, good1, good2] = [t.convoy(), t.convoy(), t.convoy(), t.convoy()];
    const secret = `secret-${randomUUID()}`;
    const invalidEvent = { ...convoyStarted(bad), type: 'BeadCreated', data: { title: secret } };
    const poisonSeq = (
      await bus.js.publish(bad.subject, JSON.stringify({ v: 1, commitId: 'p', prevSeq: 0, eventCount: 1, events: [invalidEvent] }))
    ).seq;
    const garbageSeq = (await bus.js.publish(garbage.subject, `{"token":"${secret}"`)).seq;
    const goodSeqs = [await appendStarted(good1), await appendStarted(good2)];
    const seen: StoredCommit[] = [];
    const held: number[] = [];
    const durable = await start({
      filterSubject: t.filterSubject,
      maxDeliver: 5,
      ackWaitMs: 5_000,
      backoffMs: [100],
      handler: async (commit) => {
        seen.push(commit);
      },
      onPark: async (letter) => {
        held.push(letter.streamSeq);
      },
    });

    await eventually('both valid commits to be handled', async () => seen.length === 2);
    expect(held).toEqual([poisonSeq, garbageSeq]);
    expect(seen.map((c) => c.seq)).toEqual(goodSeqs);
    const parked = await eventually('two parked messages', async () => {
      const letters = await readDeadLetters(bus, durable);
      return letters.length === 2 && letters;
    });
    expect(parked).toEqual([
      expect.objectContaining({
        consumer: durable,
        stream: bus.names.eventStream,
        streamSeq: poisonSeq,
        subject: bad.subject,
        deliveryCount: 1,
        reason: expect.stringContaining('event 0: invalid BeadCreated v1'),
      }),
      expect.objectContaining({ streamSeq: garbageSeq, subject: garbage.subject, reason: 'commit is not valid JSON' }),
    ]);
    const parkLines = logger.lines.filter((l) => l.includes(`from ${durable}`) && l.includes('parked'));
    expect(parkLines).toHaveLength(2);
    expect(parkLines.every((l) => l.startsWith('warn parked'))).toBe(true);
    expect(JSON.stringify(parked) + logger.lines.join('\n')).not.toContain(secret);
  });

  it('parks a message whose handler always fails after maxDeliver attempts, then moves on', async () => {
    const t = town();
    const stuck = t.convoy();
    const next = t.convoy();
    const stuckSeq = await appendStarted(stuck);
    const nextSeq = await appendStarted(next);
    const attempts: number[] = [];
    const handled: number[] = [];
    const durable = await start({
      filterSubject: t.filterSubject,
      maxDeliver: 3,
      ackWaitMs: 5_000,
      backoffMs: [50, 100, 200, 400],
      handler: async (commit, ctx) => {
        if (commit.seq === stuckSeq) {
          attempts.push(ctx.deliveryCount);
          throw new Error('read model rejects the row');
        }
        handled.push(commit.seq);
      },
    });

    await eventually('the next message to be handled', async () => handled.length === 1);
    expect(attempts).toEqual([1, 2, 3]);
    expect(handled).toEqual([nextSeq]);
    expect(await readDeadLetters(bus, durable)).toEqual([
      expect.objectContaining({ streamSeq: stuckSeq, deliveryCount: 3, reason: 'read model rejects the row' }),
    ]);
    const info = await bus.jsm.consumers.info(bus.names.eventStream, durable);
    expect(info.config.backoff).toHaveLength(2);
  });

  it('delivers a 3 MB overflow decision whole', async () => {
    const t = town();
    const scope = t.convoy();
    const events = beadsCreated(scope, 10_000, 300);
    const { seq } = await store.append(scope.subject, { commitId: 'big', expectedSeq: 0, events });
    const after = await appendStarted(scope);
    const seen: StoredCommit[] = [];
    await start({
      filterSubject: t.filterSubject,
      maxDeliver: 3,
      ackWaitMs: 5_000,
      backoffMs: [100],
      handler: async (commit) => {
        seen.push(commit);
      },
    });

    await eventually('both commits to be handled', async () => seen.length === 2);
    expect(seen.map((c) => [c.seq, c.events.length])).toEqual([
      [seq, 10_000],
      [after, 1],
    ]);
    expect(seen[0].events).toEqual(events);
  });

  it('given a consumer that wants one convoy only, when another convoy has an unreadable 3 MB plan, then that plan is passed over unread and nothing is parked', async () => {
    const t = town();
    const [other, own] = [t.convoy(), t.convoy()];
    await store.append(other.subject, { commitId: 'big', expectedSeq: 0, events: beadsCreated(other, 10_000, 300) });
    // The plan's object is gone: reading it would fail on every delivery.
    await bus.jsm.streams.purge(`OBJ_${bus.names.payloadBucket}`);
    const ownSeq = await appendStarted(own);
    const asked: string[] = [];
    const seen: StoredCommit[] = [];
    const durable = await start({
      filterSubject: t.filterSubject,
      maxDeliver: 2,
      ackWaitMs: 5_000,
      backoffMs: [100],
      wants: (subject) => {
        asked.push(subject);
        return subject === own.subject;
      },
      handler: async (commit) => {
        seen.push(commit);
      },
    });

    await eventually("the own convoy's commit to be handled", async () => seen.length === 1);
    expect(seen.map((c) => c.seq)).toEqual([ownSeq]);
    expect(asked).toEqual([other.subject, own.subject]);
    expect(await readDeadLetters(bus, durable)).toEqual([]);
  });

  it('keeps a long handler alive past the ack wait and drains it on stop', async () => {
    const t = town();
    const scope = t.convoy();
    const seq = await appendStarted(scope);
    const deliveries: number[] = [];
    let finished = false;
    const durable = `long_${randomUUID().slice(0, 8)}`;
    const consumer = await runConsumer(bus, {
      durable,
      filterSubject: t.filterSubject,
      maxDeliver: 3,
      ackWaitMs: 1_000,
      backoffMs: [],
      handler: async (_commit, ctx) => {
        deliveries.push(ctx.deliveryCount);
        await new Promise((resolve) => setTimeout(resolve, 2_500));
        finished = true;
      },
    });

    await eventually('the handler to start', async () => deliveries.length === 1);
    await consumer.stop();
    expect(finished).toBe(true);
    expect(deliveries).toEqual([1]);
    const info = await bus.jsm.consumers.info(bus.names.eventStream, durable);
    expect(info.ack_floor.stream_seq).toBe(seq);
    expect(info.num_redelivered).toBe(0);
  });

  it('resumes a durable where it left off and applies a changed configuration', async () => {
    const t = town();
    const scope = t.convoy();
    const first = await appendStarted(scope);
    const seen: number[] = [];
    const options = {
      durable: `resume_${randomUUID().slice(0, 8)}`,
      filterSubject: t.filterSubject,
      maxDeliver: 3,
      ackWaitMs: 5_000,
      backoffMs: [100],
      handler: async (commit: StoredCommit) => {
        seen.push(commit.seq);
      },
    };
    const one = await runConsumer(bus, options);
    await eventually('the first commit', async () => seen.length === 1);
    await one.stop();

    const second = await appendStarted(scope);
    running.push(await runConsumer(bus, { ...options, maxDeliver: 4, backoffMs: [] }));
    await eventually('the second commit', async () => seen.length === 2);
    expect(seen).toEqual([first, second]);
    const info = await bus.jsm.consumers.info(bus.names.eventStream, options.durable);
    expect(info.config).toMatchObject({ max_deliver: 4, ack_wait: 5_000 * 1e6 });
    expect(info.config.backoff ?? []).toEqual([]);
  });

  it('given a consumer that dies on the last delivery, when the server gives up, then the message is still listed as dead', async () => {
    const t = town();
    const scope = t.convoy();
    const seq = await appendStarted(scope);
    const durable = `c_${randomUUID().slice(0, 8)}`;
    // A bare consumer that never acks stands for a process killed while handling the message.
    await bus.jsm.consumers.add(bus.names.eventStream, {
      durable_name: durable,
      filter_subject: t.filterSubject,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(300),
      max_deliver: 2,
    });
    const consumer = await bus.js.consumers.get(bus.names.eventStream, durable);
    for (let delivery = 1; delivery <= 2; delivery++) {
      const m = await eventually(`delivery ${delivery}`, () => consumer.next({ expires: 1_000 }));
      expect(m.info.deliveryCount).toBe(delivery);
    }
    const letters = await eventually('the give-up to be recorded', async () => {
      // The server decides to give up when it would deliver again, i.e. while a pull is waiting.
      await consumer.next({ expires: 1_000 });
      const found = await readDeadLetters(bus, durable);
      return found.length > 0 ? found : null;
    });
    expect(letters).toEqual([
      expect.objectContaining({ consumer: durable, streamSeq: seq, subject: scope.subject, deliveryCount: 2, reason: expect.stringMatching(/server gave up after 2 deliveries/) }),
    ]);
  });

  it('given plain records, concurrency 2 and room for waiting retries, when one record backs off, then the others are handled meanwhile, two at a time', async () => {
    const subject = bus.names.webhookLog(randomUUID(), randomUUID());
    const seqs: number[] = [];
    for (const n of [1, 2, 3, 4]) seqs.push((await bus.js.publish(subject, JSON.stringify({ n }))).seq);
    const handled: { n: number; delivery: number }[] = [];
    let atOnce = 0;
    let mostAtOnce = 0;
    const durable = `c_${randomUUID().slice(0, 8)}`;
    running.push(
      await runMessageConsumer(bus, {
        durable,
        stream: bus.names.webhookLogStream,
        filterSubject: subject,
        maxDeliver: 3,
        ackWaitMs: 5_000,
        backoffMs: [1_500],
        concurrency: 2,
        maxAckPending: 10,
        handler: async (message, ctx) => {
          atOnce++;
          mostAtOnce = Math.max(mostAtOnce, atOnce);
          await new Promise((resolve) => setTimeout(resolve, 50));
          atOnce--;
          const { n } = JSON.parse(new TextDecoder().decode(message.data)) as { n: number };
          if (n === 1 && ctx.deliveryCount === 1) throw new Error('receiver unavailable');
          handled.push({ n, delivery: ctx.deliveryCount });
        },
      }),
    );

    await eventually('every record handled', async () => handled.length === 4);
    expect(handled.slice(0, 3).map((h) => h.n).sort()).toEqual([2, 3, 4]);
    expect(handled.at(-1)).toEqual({ n: 1, delivery: 2 });
    expect(mostAtOnce).toBe(2);
    const info = await bus.jsm.consumers.info(bus.names.webhookLogStream, durable);
    expect(info.config.max_ack_pending).toBe(10);
    expect(await readDeadLetters(bus, durable, bus.names.webhookLogStream)).toEqual([]);
  });
});
