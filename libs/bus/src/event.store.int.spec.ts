import { randomUUID } from 'node:crypto';
import { Objm } from '@nats-io/obj';
import { InvalidEventError, type GastownEvent } from '@gastown/contracts';
import { TEST_NATS_URL, testNamespace } from '@gastown/testing';
import { connectBus, deleteTopology, ensureTopology, type Bus } from './bus.connection';
import { AppendRefusedError, PoisonMessageError, WrongExpectedSequenceError } from './bus.errors';
import { EventStore } from './event.store';
import { PayloadReadTimeoutError } from './payload.store';
import { beadsCreated, convoyStarted, newConvoyScope, recordingLogger } from './testing/event.fixture';

describe('EventStore on JetStream', () => {
  let bus: Bus;
  let store: EventStore;

  beforeAll(async () => {
    bus = await connectBus({ servers: TEST_NATS_URL, namespace: testNamespace(), name: 'bus-event-store-spec', logger: recordingLogger() });
    await ensureTopology(bus);
    store = new EventStore(bus);
  });

  afterAll(async () => {
    await deleteTopology(bus);
    await bus.close();
  });

  it('appends decisions with the expected sequence and reads them back in order', async () => {
    const scope = newConvoyScope(bus.names);
    const first = beadsCreated(scope, 3);
    const second = [convoyStarted(scope)];

    const a = await store.append(scope.subject, { commitId: 'cmd-1', expectedSeq: 0, events: first });
    const b = await store.append(scope.subject, { commitId: 'cmd-2', expectedSeq: a.seq, events: second });

    expect(a.duplicate).toBe(false);
    expect(b.seq).toBeGreaterThan(a.seq);
    expect(await store.lastSeq(scope.subject)).toBe(b.seq);
    const commits = await store.readSubject(scope.subject);
    expect(commits.map((c) => [c.seq, c.prevSeq, c.commitId])).toEqual([
      [a.seq, 0, 'cmd-1'],
      [b.seq, a.seq, 'cmd-2'],
    ]);
    expect(commits[0].events).toEqual(first);
    expect(commits[1].events).toEqual(second);
    expect(commits[0].time).toBeInstanceOf(Date);
    expect((await store.readSubject(scope.subject, { afterSeq: a.seq })).map((c) => c.commitId)).toEqual(['cmd-2']);
    expect(await store.readSubject(scope.subject, { afterSeq: b.seq })).toEqual([]);
    expect(await store.lastSeq(newConvoyScope(bus.names).subject)).toBe(0);
  });

  it('rejects a stale expectation and stores nothing', async () => {
    const scope = newConvoyScope(bus.names);
    const a = await store.append(scope.subject, { commitId: 'first', expectedSeq: 0, events: [convoyStarted(scope)] });
    const b = await store.append(scope.subject, { commitId: 'second', expectedSeq: a.seq, events: [convoyStarted(scope)] });

    const stale = store.append(scope.subject, { commitId: 'stale', expectedSeq: a.seq, events: [convoyStarted(scope)] });
    await expect(stale).rejects.toThrow(WrongExpectedSequenceError);
    await expect(stale).rejects.toMatchObject({ subject: scope.subject, expectedSeq: a.seq, actualSeq: b.seq });
    await expect(
      store.append(scope.subject, { commitId: 'as-if-new', expectedSeq: 0, events: [convoyStarted(scope)] }),
    ).rejects.toThrow(WrongExpectedSequenceError);

    expect((await store.readSubject(scope.subject)).map((c) => c.commitId)).toEqual(['first', 'second']);
    expect(await store.lastSeq(scope.subject)).toBe(b.seq);
  });

  it('treats the same commit id inside the dedupe window as a duplicate, storing one message', async () => {
    const scope = newConvoyScope(bus.names);
    const events = [convoyStarted(scope)];
    const first = await store.append(scope.subject, { commitId: 'retried', expectedSeq: 0, events });
    // A retry after a lost ack carries the same id and the expectation that has since become stale.
    const retry = await store.append(scope.subject, { commitId: 'retried', expectedSeq: 0, events });

    expect(retry).toEqual({ seq: first.seq, duplicate: true });
    expect(await store.readSubject(scope.subject)).toHaveLength(1);
  });

  it('lets exactly one of two concurrent appenders win a sequence', async () => {
    const scope = newConvoyScope(bus.names);
    const results = await Promise.allSettled(
      ['left', 'right'].map((commitId) => store.append(scope.subject, { commitId, expectedSeq: 0, events: [convoyStarted(scope)] })),
    );

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0].reason).toBeInstanceOf(WrongExpectedSequenceError);
    expect(await store.readSubject(scope.subject)).toHaveLength(1);
  });

  it('keeps one unbroken chain when several writers race on one subject', async () => {
    const scope = newConvoyScope(bus.names);
    const writers = 4;
    const perWriter = 10;
    let conflicts = 0;
    const writer = async (w: number) => {
      for (let i = 0; i < perWriter; i++) {
        for (;;) {
          const expectedSeq = await store.lastSeq(scope.subject);
          try {
            await store.append(scope.subject, { commitId: `w${w}-${i}`, expectedSeq, events: [convoyStarted(scope)] });
            break;
          } catch (error) {
            if (!(error instanceof WrongExpectedSequenceError)) throw error;
            conflicts++;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));

    const commits = await store.readSubject(scope.subject);
    expect(commits).toHaveLength(writers * perWriter);
    expect(new Set(commits.map((c) => c.commitId)).size).toBe(writers * perWriter);
    commits.forEach((c, i) => expect(c.prevSeq).toBe(i === 0 ? 0 : commits[i - 1].seq));
    expect(conflicts).toBeGreaterThan(0);
  });

  it('stores a 3 MB decision as one overflow commit that readers see whole or not at all', async () => {
    const scope = newConvoyScope(bus.names);
    const events = beadsCreated(scope, 10_000, 300);
    expect(Buffer.byteLength(JSON.stringify(events))).toBeGreaterThan(3_000_000);

    const observed: number[] = [];
    let appended = false;
    const reader = (async () => {
      while (!appended) {
        const commits = await store.readSubject(scope.subject);
        observed.push(commits.reduce((n, c) => n + c.events.length, 0));
      }
    })();
    const started = Date.now();
    const { seq } = await store.append(scope.subject, { commitId: 'big-plan', expectedSeq: 0, events });
    const appendMs = Date.now() - started;
    appended = true;
    await reader;

    const readStarted = Date.now();
    const commits = await store.readSubject(scope.subject);
    const readMs = Date.now() - readStarted;
    expect(commits).toHaveLength(1);
    expect(commits[0]).toMatchObject({ seq, commitId: 'big-plan', prevSeq: 0 });
    expect(commits[0].events).toEqual(events);
    expect(observed.length).toBeGreaterThan(0);
    expect(observed.every((n) => n === 0 || n === 10_000)).toBe(true);

    const stored = await bus.jsm.direct.getMessage(bus.names.eventStream, { seq });
    expect(stored?.data.length).toBeLessThan(2_000);
    expect(stored?.json<{ payload: { bucket: string; size: number } }>().payload).toMatchObject({
      bucket: bus.names.payloadBucket,
      size: Buffer.byteLength(JSON.stringify(events)),
    });
    console.info(`3 MB decision: append ${appendMs} ms, readSubject ${readMs} ms, ${observed.length} concurrent reads`);
  });

  it('gives up a read of an overflow object past its deadline instead of waiting for ever, and reads it with room to spare', async () => {
    const scope = newConvoyScope(bus.names);
    const events = beadsCreated(scope, 5_000, 300);
    await store.append(scope.subject, { commitId: 'slow-plan', expectedSeq: 0, events });

    const hurried = new EventStore(bus, { payloadReadTimeoutMs: 1 });
    const started = Date.now();
    await expect(hurried.readSubject(scope.subject)).rejects.toThrow(PayloadReadTimeoutError);
    await expect(hurried.readSubject(scope.subject)).rejects.toThrow(/took longer than 1 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);

    const patient = new EventStore(bus, { payloadReadTimeoutMs: 30_000 });
    expect((await patient.readSubject(scope.subject))[0].events).toHaveLength(5_000);
  });

  it('deletes the overflow object of a decision that lost the race', async () => {
    const scope = newConvoyScope(bus.names);
    const small = new EventStore(bus, { inlineLimitBytes: 1_000 });
    const a = await small.append(scope.subject, { commitId: 'winner', expectedSeq: 0, events: beadsCreated(scope, 20) });
    await expect(
      small.append(scope.subject, { commitId: 'loser', expectedSeq: 0, events: beadsCreated(scope, 20) }),
    ).rejects.toThrow(WrongExpectedSequenceError);

    const objects = await (await new Objm(bus.js).open(bus.names.payloadBucket)).list();
    const ours = objects.filter((o) => o.name.startsWith(`evt/${scope.subject}/`)).map((o) => o.name.split('/')[2]);
    expect(ours).toEqual(['winner']);
    expect((await small.readSubject(scope.subject)).map((c) => [c.seq, c.events.length])).toEqual([[a.seq, 20]]);
  });

  it('reports a write the full stream refuses as AppendRefusedError, storing nothing and deleting its overflow object', async () => {
    const scope = newConvoyScope(bus.names);
    const small = new EventStore(bus, { inlineLimitBytes: 1_000 });
    const info = await bus.jsm.streams.info(bus.names.eventStream);
    // Exactly full: a lower max_bytes would make 2.9.10 delete the oldest messages to fit.
    await bus.jsm.streams.update(bus.names.eventStream, { ...info.config, max_bytes: info.state.bytes });
    try {
      const refused = small.append(scope.subject, { commitId: 'refused', expectedSeq: 0, events: beadsCreated(scope, 20) });
      await expect(refused).rejects.toThrow(AppendRefusedError);
      await expect(refused).rejects.toMatchObject({ subject: scope.subject, code: 10077, reason: 'maximum bytes exceeded' });
    } finally {
      await bus.jsm.streams.update(bus.names.eventStream, info.config);
    }

    expect(await small.lastSeq(scope.subject)).toBe(0);
    const objects = await (await new Objm(bus.js).open(bus.names.payloadBucket)).list();
    expect(objects.filter((o) => o.name.startsWith(`evt/${scope.subject}/`))).toEqual([]);
  });

  it('reads a subject with thousands of commits in order, and a short tail', async () => {
    const scope = newConvoyScope(bus.names);
    const noise = newConvoyScope(bus.names, scope.townId);
    const count = 2_000;
    let last = 0;
    let noiseLast = 0;
    for (let i = 0; i < count; i++) {
      last = (await store.append(scope.subject, { commitId: `c${i}`, expectedSeq: last, events: [convoyStarted(scope)] })).seq;
      if (i % 4 === 0) {
        noiseLast = (
          await store.append(noise.subject, { commitId: `n${i}`, expectedSeq: noiseLast, events: [convoyStarted(noise)] })
        ).seq;
      }
    }

    let started = Date.now();
    const all = await store.readSubject(scope.subject);
    const fullMs = Date.now() - started;
    expect(all.map((c) => c.commitId)).toEqual(Array.from({ length: count }, (_, i) => `c${i}`));
    expect(all.every((c) => c.subject === scope.subject)).toBe(true);

    started = Date.now();
    const tail = await store.readSubject(scope.subject, { afterSeq: all[count - 4].seq });
    const tailMs = Date.now() - started;
    expect(tail.map((c) => c.commitId)).toEqual([`c${count - 3}`, `c${count - 2}`, `c${count - 1}`]);

    const consumers = await bus.jsm.consumers.list(bus.names.eventStream).next();
    expect(consumers).toEqual([]);
    console.info(`readSubject: ${count} commits in ${fullMs} ms, a 3-commit tail in ${tailMs} ms`);
  });

  it('refuses to store an event its readers would reject', async () => {
    const scope = newConvoyScope(bus.names);
    const bad = { ...convoyStarted(scope), eventId: 'not-a-uuid' } as GastownEvent;
    await expect(store.append(scope.subject, { commitId: 'bad', expectedSeq: 0, events: [bad] })).rejects.toThrow(InvalidEventError);
    expect(await store.lastSeq(scope.subject)).toBe(0);
  });

  it('reports a stored event that does not parse as a poison message with its sequence', async () => {
    const scope = newConvoyScope(bus.names);
    const good = await store.append(scope.subject, { commitId: 'ok', expectedSeq: 0, events: [convoyStarted(scope)] });
    const invalid = { ...convoyStarted(scope), type: 'NoSuchEvent' };
    const raw = { v: 1, commitId: 'raw', prevSeq: good.seq, eventCount: 1, events: [invalid] };
    const { seq } = await bus.js.publish(scope.subject, JSON.stringify(raw));

    const read = store.readSubject(scope.subject);
    await expect(read).rejects.toThrow(PoisonMessageError);
    await expect(read).rejects.toMatchObject({ seq, subject: scope.subject, reason: expect.stringContaining('unknown event type') });
    expect(await store.readSubject(scope.subject, { afterSeq: seq })).toEqual([]);
  });

  it('accepts a custom parser for upcasting', async () => {
    const scope = newConvoyScope(bus.names);
    await store.append(scope.subject, { commitId: 'x', expectedSeq: 0, events: [convoyStarted(scope)] });
    const marker = randomUUID();
    const custom = new EventStore(bus, { parse: (input) => ({ ...(input as GastownEvent), correlationId: marker }) });
    const [commit] = await custom.readSubject(scope.subject);
    expect(commit.events[0].correlationId).toBe(marker);
  });
});
