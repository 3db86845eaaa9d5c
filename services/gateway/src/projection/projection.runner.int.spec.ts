import { randomUUID } from 'node:crypto';
import {
  connectBus,
  deleteTopology,
  ensureTopology,
  EventStore,
  readDeadLetters,
  type Bus,
} from '@gastown/bus';
import { BeadSubmittedV2, createEventParser, eventSchemas, upcasters } from '@gastown/contracts';
import { createTestDatabase, eventually, TEST_NATS_URL, testNamespace, type TestDatabase } from '@gastown/testing';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { createReadModelDataSource, initializeReadModelDataSource } from '../read-models/read-models.datasource';
import { FixtureClock, FixtureWriter, sha, snapshotReadModels, TownFixture, type ConvoyFixture } from './projection.fixtures';
import { rebuildReadModels } from './projection.rebuild';
import { ProjectionRunner, type ProjectionRunnerOptions } from './projection.runner';
import { ReadModelWaiter } from './read-model.waiter';

/** The next build knows BeadSubmitted v3 (an additive field) and upcasts the older versions to it. */
const upgraded = createEventParser(
  { ...eventSchemas, BeadSubmitted: { ...eventSchemas.BeadSubmitted, 3: BeadSubmittedV2.extend({ reviewer: z.string() }) } },
  { ...upcasters, BeadSubmitted: { ...upcasters['BeadSubmitted'], 2: (data) => ({ ...(data as object), reviewer: 'unknown' }) } },
);
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
/** The consumer reports each failed delivery here; the outage test reads it to prove deliveries were cut off. */
const busLines: string[] = [];
const busLog = { info: () => undefined, warn: (line: string) => busLines.push(line), error: (line: string) => busLines.push(line) };
const FAST_RETRY: ProjectionRunnerOptions = { backoffMs: [50, 100, 200], ackWaitMs: 10_000, logger: quiet };

describe('ProjectionRunner', () => {
  let db: TestDatabase;
  /** What the runner writes through, as in the gateway; the test reads through its own pool. */
  let runnerDs: DataSource;
  let ds: DataSource;
  let bus: Bus;
  let store: EventStore;
  let writer: FixtureWriter;
  let waiter: ReadModelWaiter;
  let runner: ProjectionRunner;
  let town: TownFixture;
  const rig = randomUUID();

  beforeAll(async () => {
    db = await createTestDatabase();
    runnerDs = await initializeReadModelDataSource(createReadModelDataSource(db.url));
    await runnerDs.runMigrations();
    ds = await initializeReadModelDataSource(createReadModelDataSource(db.url));
    bus = await connectBus({ servers: TEST_NATS_URL, namespace: testNamespace(), name: 'runner-spec', logger: busLog });
    await ensureTopology(bus);
    store = new EventStore(bus);
    writer = new FixtureWriter(store, bus);
    waiter = new ReadModelWaiter(db.url, { reconnectMs: 50 });
    await waiter.start();
    runner = new ProjectionRunner(runnerDs, bus, FAST_RETRY);
    await runner.start();
    town = new TownFixture(bus.names.namespace, new FixtureClock());
    await appendAndWait(town.created(), town.rigRegistered(rig, 'alpha'));
  });

  afterAll(async () => {
    await runner.stop();
    await waiter.close();
    await deleteTopology(bus);
    await bus.close();
    await ds.destroy();
    await runnerDs.destroy();
    await db.drop();
  });

  async function appendAndWait(...commits: Parameters<FixtureWriter['append']>[0][]): Promise<number[]> {
    const seqs = await writer.appendAll(commits);
    for (let i = 0; i < commits.length; i++) await waiter.waitFor(commits[i].subject, seqs[i]);
    return seqs;
  }

  async function bead(convoy: ConvoyFixture, index: number): Promise<Record<string, unknown>> {
    const [row] = await ds.query(`SELECT * FROM beads WHERE convoy_id = $1 AND idx = $2`, [convoy.convoyId, index]);
    return row;
  }

  async function checkpoint(subject: string): Promise<number> {
    const rows = await ds.query(`SELECT last_seq FROM projection_checkpoints WHERE subject = $1`, [subject]);
    return rows.length ? Number(rows[0].last_seq) : 0;
  }

  it('given commits appended to the stream, then the consumer projects them and the waiter sees each checkpoint', async () => {
    const convoy = town.convoy({ defaultRigId: rig });
    await appendAndWait(convoy.created([{}, { dependsOn: [0] }]), convoy.dispatched(0), convoy.submitted(0), convoy.merged(0, [1]));
    expect(await bead(convoy, 0)).toMatchObject({ status: 'CLOSED', ready: false });
    expect(await bead(convoy, 1)).toMatchObject({ status: 'OPEN', ready: true });
    expect(await runner.holds()).toEqual([]);
  });

  it('given the consumer is recreated so that every commit is delivered again, then nothing changes', async () => {
    const convoy = town.convoy({ defaultRigId: rig });
    await appendAndWait(convoy.created([{}, {}, {}]), convoy.dispatched(0), convoy.dispatched(1), convoy.submitted(1));
    const before = await snapshotReadModels(ds);

    await runner.stop();
    await bus.jsm.consumers.delete(bus.names.eventStream, runner.durable);
    runner = new ProjectionRunner(runnerDs, bus, FAST_RETRY);
    await runner.start();
    const last = (await bus.jsm.streams.info(bus.names.eventStream)).state.last_seq;
    await eventually('the recreated consumer to acknowledge the whole stream', async () => {
      const info = await bus.jsm.consumers.info(bus.names.eventStream, runner.durable);
      return info.ack_floor.stream_seq === last;
    });

    expect(await snapshotReadModels(ds)).toEqual(before);
  });

  it('given commit 3 delivered before commit 2 was applied, then the runner catches up from the stream in order', async () => {
    const convoy = town.convoy({ defaultRigId: rig });
    await runner.stop();
    const [one, , three] = await writer.appendAll([convoy.created([{}]), convoy.dispatched(0), convoy.submitted(0)]);
    const [c1, , c3] = await store.readSubject(convoy.subject);
    await runner.onDelivered(c1);
    expect(await checkpoint(convoy.subject)).toBe(one);

    await runner.onDelivered(c3);

    expect(await checkpoint(convoy.subject)).toBe(three);
    expect(await bead(convoy, 0)).toMatchObject({ status: 'IN_REVIEW', assignee: 'polecat-0', attempts: 1 });
    await runner.start();
    const more = convoy.merged(0);
    await appendAndWait(more);
    expect(await bead(convoy, 0)).toMatchObject({ status: 'CLOSED' });
  });

  it('given an event version this build cannot read, then its convoy is held while others flow, and a retry with an upcaster drains it in order', async () => {
    const poisoned = town.convoy({ defaultRigId: rig });
    const healthy = town.convoy({ defaultRigId: rig });
    const [, dispatchedSeq] = await appendAndWait(poisoned.created([{}]), poisoned.dispatched(0), healthy.created([{}]));

    const submitted = poisoned.submitted(0).events[1];
    const v3 = { ...submitted, schemaVersion: 3, data: { ...submitted.data, reviewer: 'mayor' } };
    const poisonSeq = await writer.publishUnchecked({ subject: poisoned.subject, commitId: v3.commandId, events: [v3] });
    const [afterPoison] = await writer.appendAll([poisoned.merged(0)]);
    await appendAndWait(healthy.dispatched(0), healthy.submitted(0));

    const holds = await eventually('the poisoned convoy to be held', async () => {
      const found = await runner.holds();
      return found.length ? found : null;
    });
    expect(holds).toEqual([
      expect.objectContaining({ subject: poisoned.subject, seq: poisonSeq, reason: expect.stringContaining('unknown version 3 of event type "BeadSubmitted"') }),
    ]);
    await eventually('the commit after the poison to be acknowledged without being applied', async () => {
      const info = await bus.jsm.consumers.info(bus.names.eventStream, runner.durable);
      return info.ack_floor.stream_seq >= afterPoison;
    });
    expect(await bead(poisoned, 0)).toMatchObject({ status: 'IN_PROGRESS' });
    expect(await checkpoint(poisoned.subject)).toBe(dispatchedSeq);
    expect(await bead(healthy, 0)).toMatchObject({ status: 'IN_REVIEW' });
    expect(await readDeadLetters(bus, runner.durable)).toEqual([]);
    // Held: the waiter answers at once instead of waiting out its timeout.
    await expect(waiter.waitFor(poisoned.subject, poisonSeq, 60_000)).rejects.toThrow(
      new RegExp(`read model of ${poisoned.subject} is held at seq ${poisonSeq} since .*unknown version 3`),
    );

    await runner.stop();
    runner = new ProjectionRunner(runnerDs, bus, { ...FAST_RETRY, parse: upgraded });
    const result = await runner.retryHeld(poisoned.subject);
    await runner.start();

    expect(result).toEqual({ subject: poisoned.subject, applied: 2, hold: null });
    expect(await checkpoint(poisoned.subject)).toBe(afterPoison);
    expect(await bead(poisoned, 0)).toMatchObject({
      status: 'CLOSED',
      head_commit: sha(`head ${poisoned.bead(0)} 1`),
      merge_commit: sha(`merge ${poisoned.bead(0)}`),
    });
    await appendAndWait(poisoned.commit({ type: 'BeadsBecameUnready', data: { beadIds: [poisoned.bead(0)] } }));
  });

  it('given PostgreSQL connections killed while commits stream in, then no checkpoint runs ahead of its rows and the result equals a rebuild', async () => {
    const convoys = Array.from({ length: 3 }, () => town.convoy({ defaultRigId: rig }));
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    const aheadOfRows = async () =>
      (
        await admin.query(
          `SELECT c.subject FROM projection_checkpoints c JOIN convoys v
             ON c.subject = $1 || '.evt.' || v.town_id || '.convoy.' || v.id
           WHERE c.updated_at <> v.updated_at`,
          [bus.names.namespace],
        )
      ).rows;
    const killConnections = async () =>
      (await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [db.name]))
        .rowCount ?? 0;
    try {
      for (const convoy of convoys) await writer.append(convoy.created(Array.from({ length: 20 }, (_, i) => ({ dependsOn: i ? [i - 1] : [] }))));
      let killed = 0;
      for (let i = 0; i < 20; i++) {
        for (const convoy of convoys) {
          await writer.appendAll([convoy.dispatched(i), convoy.submitted(i), convoy.merged(i, i < 19 ? [i + 1] : [])]);
        }
        killed += await killConnections();
        expect(await aheadOfRows()).toEqual([]);
      }

      for (const convoy of convoys) await waiter.waitFor(convoy.subject, writer.lastSeq(convoy.subject), 30_000);
      expect(await aheadOfRows()).toEqual([]);
      const [row] = (
        await admin.query(`SELECT count(*)::int AS n FROM beads WHERE convoy_id = ANY($1) AND status = 'CLOSED'`, [
          convoys.map((c) => c.convoyId),
        ])
      ).rows;
      expect(row.n).toBe(60);
      expect(killed).toBeGreaterThan(0);
      // Commits whose transaction was cut off went back to the consumer's back-off, not lost or skipped.
      expect(busLines.filter((line) => /read-models failed on .*retrying/.test(line)).length).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }

    await runner.stop();
    const live = await eventually('a snapshot after the outage', () => snapshotReadModels(ds));
    // The stream holds the v3 event of the poison test: the rebuild reads with the same build as the live runner.
    await rebuildReadModels(ds, bus, { parse: upgraded });
    expect(await snapshotReadModels(ds)).toEqual(live);
    await runner.start();
  });

  it('given the database refuses a commit for longer than the back-off, then the consumer parks it and retryAllHeld catches its subject up', async () => {
    const convoy = town.convoy({ defaultRigId: rig });
    const [created] = await appendAndWait(convoy.created([{}]));
    await runner.stop();
    runner = new ProjectionRunner(runnerDs, bus, { ...FAST_RETRY, parse: upgraded, maxDeliver: 2, backoffMs: [20] });
    await runner.start();

    await ds.query(`ALTER TABLE beads RENAME TO beads_unavailable`);
    let dispatched: number;
    try {
      [dispatched] = await writer.appendAll([convoy.dispatched(0)]);
      await eventually('the consumer to park the commit', async () =>
        (await readDeadLetters(bus, runner.durable)).find((letter) => letter.streamSeq === dispatched),
      );
    } finally {
      await ds.query(`ALTER TABLE beads_unavailable RENAME TO beads`);
    }
    expect(await checkpoint(convoy.subject)).toBe(created);

    expect(await runner.retryAllHeld()).toEqual([]);

    expect(await checkpoint(convoy.subject)).toBe(dispatched);
    expect(await bead(convoy, 0)).toMatchObject({ status: 'IN_PROGRESS', assignee: 'polecat-0' });
    await runner.stop();
    runner = new ProjectionRunner(runnerDs, bus, { ...FAST_RETRY, parse: upgraded });
    await runner.start();
  });

  // Last: the lost plan stays unreadable, and a rebuild reads every subject.
  it("given a convoy whose stored plan cannot be read in time, then only that convoy is held, saying so, and another town's commit behind it is applied at once", async () => {
    const lost = town.convoy({ defaultRigId: rig });
    const neighbour = new TownFixture(bus.names.namespace, new FixtureClock());
    await appendAndWait(neighbour.created());
    await runner.stop();
    // Every commit of this writer goes to the object store; its chunks are then lost, its description kept: a read waits for data that never comes.
    const overflowing = new FixtureWriter(new EventStore(bus, { inlineLimitBytes: 1 }), bus);
    const [lostSeq] = await overflowing.appendAll([lost.created([{}])]);
    await bus.jsm.streams.purge(`OBJ_${bus.names.payloadBucket}`, { filter: `$O.${bus.names.payloadBucket}.C.>` });
    runner = new ProjectionRunner(runnerDs, bus, { ...FAST_RETRY, payloadReadTimeoutMs: 300, readAttempts: 2 });
    await runner.start();

    const [renamed] = await writer.appendAll([neighbour.rigRegistered(randomUUID(), 'beta')]);
    await waiter.waitFor(neighbour.subject, renamed, 10_000);
    expect(await runner.holds()).toEqual([
      expect.objectContaining({ subject: lost.subject, seq: lostSeq, reason: expect.stringMatching(/could not be read in 2 attempts: reading object .* took longer than 300 ms/) }),
    ]);
    expect((await readDeadLetters(bus, runner.durable)).filter((letter) => letter.subject === lost.subject)).toEqual([]);
    await runner.skipHeld(lost.subject, 'plan lost for good');
  });
});
