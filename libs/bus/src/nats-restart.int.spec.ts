import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, freePort, startNatsServer, testNamespace, type NatsServerProcess } from '@gastown/testing';
import { connectBus, ensureTopology, type Bus } from './bus.connection';
import { runConsumer, type RunningConsumer } from './consumer.runner';
import { EventStore } from './event.store';
import { convoyStarted, newConvoyScope, recordingLogger, type ConvoyScope } from './testing/event.fixture';

const SUBJECTS = 4;
const COMMITS_PER_SUBJECT = 40;
const TOTAL = SUBJECTS * COMMITS_PER_SUBJECT;
/** The writers stop here whatever happens, so a server that never comes back fails the test instead of hanging it. */
const LOAD_DEADLINE_MS = 15_000;
/** Per commit: a killed server costs an in-flight append one publish timeout (5 s), then a few refusals while it restarts. */
const MAX_ATTEMPTS = 20;

interface Acked {
  readonly commitId: ReturnType<typeof randomUUID>;
  readonly seq: number;
}

describe('JetStream through a nats-server SIGKILL and restart', () => {
  const logger = recordingLogger();
  let storeDir: string;
  let server: NatsServerProcess;
  let bus: Bus;
  let consumer: RunningConsumer | undefined;

  beforeAll(async () => {
    storeDir = await mkdtemp(join(tmpdir(), 'gt-nats-restart-'));
    server = await startNatsServer({ port: await freePort(), storeDir });
    bus = await connectBus({ servers: server.url, namespace: testNamespace(), name: 'nats-restart-spec', logger });
    await ensureTopology(bus);
  });

  afterAll(async () => {
    try {
      // Draining needs a live server; a test that failed with it down only closes the socket.
      if (server?.running()) {
        await consumer?.stop();
        await bus?.close();
      } else {
        await bus?.nc.close();
      }
    } finally {
      // The whole installation lives in the private server's store, so removing it is the cleanup.
      await server?.kill();
      if (storeDir) await rm(storeDir, { recursive: true, force: true });
    }
  });

  it('given commits appended under load, when nats-server is SIGKILLed mid-way and restarted on its store, then every acknowledged commit is there exactly once and in order, a retried one is recognised as stored, and a durable consumer created before the kill resumes and receives them all', async () => {
    const store = new EventStore(bus);
    const delivered: { seq: number; commitId: string }[] = [];
    consumer = await runConsumer(bus, {
      durable: 'restart-probe',
      filterSubject: bus.names.allEvents,
      maxDeliver: 10,
      ackWaitMs: 2_000,
      backoffMs: [100],
      handler: async (commit) => {
        delivered.push({ seq: commit.seq, commitId: commit.commitId });
      },
    });

    const scopes = Array.from({ length: SUBJECTS }, () => newConvoyScope(bus.names));
    const acked = new Map<string, Acked[]>(scopes.map((s) => [s.subject, []]));
    const deadline = Date.now() + LOAD_DEADLINE_MS;
    let interrupted = 0;
    let ackedAsDuplicate = 0;

    /**
     * One writer per subject, as a decider would write: the next commit only after the previous
     * one was acknowledged, an unanswered append retried with the same commit id and expectation,
     * so whatever the dead server did or did not store, the retry settles it.
     */
    const write = async (scope: ConvoyScope) => {
      let expectedSeq = 0;
      for (let i = 0; i < COMMITS_PER_SUBJECT; i++) {
        const commitId = randomUUID();
        const events = [convoyStarted(scope, commitId)];
        for (let attempt = 1; ; attempt++) {
          if (attempt > MAX_ATTEMPTS || Date.now() > deadline) {
            throw new Error(`commit ${i} of ${scope.subject} was never acknowledged (${attempt - 1} attempts)`);
          }
          try {
            const result = await store.append(scope.subject, { commitId, expectedSeq, events });
            if (result.duplicate) ackedAsDuplicate++;
            acked.get(scope.subject)?.push({ commitId, seq: result.seq });
            expectedSeq = result.seq;
            break;
          } catch {
            interrupted++;
            // Retry once JetStream answers again rather than spinning on a dead connection.
            await eventually('JetStream to answer again', () => bus.jsm.getAccountInfo(), { timeoutMs: Math.max(1, deadline - Date.now()), intervalMs: 50 });
          }
        }
      }
    };
    const load = Promise.all(scopes.map(write));
    const ackedCount = () => [...acked.values()].reduce((n, list) => n + list.length, 0);

    await eventually('a third of the load to be acknowledged', async () => ackedCount() >= TOTAL / 3, { intervalMs: 1 });
    const killedAt = ackedCount();
    const beforeKill = [...acked.entries()].map(([subject, list]) => ({ subject, list: [...list] }));
    await server.kill();
    server = await startNatsServer({ port: server.port, storeDir });
    await load;

    expect(killedAt).toBeLessThan(TOTAL);
    expect(interrupted).toBeGreaterThan(0);
    for (const scope of scopes) {
      const mine = acked.get(scope.subject) ?? [];
      expect(mine).toHaveLength(COMMITS_PER_SUBJECT);
      const stored = await store.readSubject(scope.subject);
      // Exactly the acknowledged commits, at the sequences the acks named, each chained to the one before.
      expect(stored.map((c) => ({ commitId: c.commitId, seq: c.seq }))).toEqual(mine);
      expect(stored.map((c) => c.prevSeq)).toEqual([0, ...mine.slice(0, -1).map((a) => a.seq)]);
    }

    // An append acknowledged just before the kill whose ack the client never read: its retry,
    // inside the duplicate window, must find it stored rather than conflict with it.
    for (const { subject, list } of beforeKill.filter((b) => b.list.length > 0)) {
      const last = list[list.length - 1];
      const scope = scopes.find((s) => s.subject === subject) as ConvoyScope;
      const retried = await store.append(subject, {
        commitId: last.commitId,
        expectedSeq: list.length > 1 ? list[list.length - 2].seq : 0,
        events: [convoyStarted(scope, last.commitId)],
      });
      expect(retried).toEqual({ seq: last.seq, duplicate: true });
    }
    const { state } = await bus.jsm.streams.info(bus.names.eventStream);
    expect(state.messages).toBe(TOTAL);

    const everySeq = [...acked.values()].flat().map((a) => a.seq).sort((a, b) => a - b);
    const firstDeliveries = () => [...new Map(delivered.map((d) => [d.seq, d])).values()];
    await eventually('the durable consumer to receive every acknowledged commit', async () => firstDeliveries().length >= TOTAL, {
      timeoutMs: 15_000,
    });
    // At least once: a delivery whose ack died with the server comes again, but the consumer
    // never skips ahead of a commit it has not received.
    const firsts = firstDeliveries();
    expect(firsts.map((d) => d.seq)).toEqual(everySeq);
    expect(new Set(firsts.map((d) => d.commitId)).size).toBe(TOTAL);
    console.info(
      `nats restart: killed after ${killedAt}/${TOTAL} acks; ${interrupted} appends interrupted, ${ackedAsDuplicate} settled as duplicates; ` +
        `${delivered.length - TOTAL} redeliveries`,
    );
  });
});
