import { randomUUID } from 'node:crypto';
import { connectBus, deleteTopology, ensureTopology, EventStore, type Bus, type StoredCommit } from '@gastown/bus';
import {
  createTestDatabase,
  eventually,
  startService,
  TEST_NATS_URL,
  testNamespace,
  type ServiceProcess,
  type TestDatabase,
} from '@gastown/testing';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { PROJECTION_CHANNEL } from '../read-models/read-models.projector';
import { createReadModelDataSource, initializeReadModelDataSource } from '../read-models/read-models.datasource';
import { applyInTransaction } from './projection.applier';
import { FixtureClock, FixtureWriter, snapshotReadModels, TownFixture, type ConvoyFixture, type FixtureCommit } from './projection.fixtures';
import { rebuildReadModels } from './projection.rebuild';
import { ProjectionRunner, type ProjectionRunnerOptions } from './projection.runner';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const FAST: ProjectionRunnerOptions = { backoffMs: [50, 100, 200], ackWaitMs: 10_000, logger: quiet };
/** Short enough that the locked handler below outlives it many times over within a second or two. */
const TINY_ACK_WAIT_MS = 200;

/** A convoy's life: a rework, a chain of merges that readies each next bead, and a landing. */
function convoyLife(convoy: ConvoyFixture): FixtureCommit[] {
  return [
    convoy.created([{}, { dependsOn: [0] }, { dependsOn: [1] }]),
    convoy.dispatched(0),
    convoy.submitted(0),
    convoy.reworkRequested(0, 'missing tests'),
    convoy.dispatched(0, 2, 'missing tests'),
    convoy.submitted(0, 2),
    convoy.merged(0, [1], 2),
    convoy.dispatched(1),
    convoy.submitted(1),
    convoy.merged(1, [2]),
    convoy.dispatched(2),
    convoy.submitted(2),
    convoy.merged(2),
    convoy.landed(),
  ];
}

describe('projection under redelivery', () => {
  let db: TestDatabase;
  /** The database a rebuild replays into: the reference the live rows must equal. */
  let rebuiltDb: TestDatabase;
  /** One pool per projector replica, as two gateway processes would have. */
  const replicaDs: DataSource[] = [];
  let ds: DataSource;
  let rebuiltDs: DataSource;
  let bus: Bus;
  let store: EventStore;
  let writer: FixtureWriter;
  let town: TownFixture;
  let listener: Client;
  let admin: Client;
  const running: ProjectionRunner[] = [];
  /** `<subject> <seq>` of every applied commit: applyCommit notifies only when it changed the rows. */
  const applied: string[] = [];
  /** The database backend that sent each notification, i.e. the replica that applied the commit. */
  const appliedBy = new Map<string, number>();
  const rig = randomUUID();
  /** The projector replica running as a process of its own, frozen and woken by PID. */
  let frozen: ServiceProcess | undefined;
  /** Every subject the suite writes to, for reading the whole stream back. */
  const subjects: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    rebuiltDb = await createTestDatabase();
    ds = await initializeReadModelDataSource(createReadModelDataSource(db.url));
    await ds.runMigrations();
    rebuiltDs = await initializeReadModelDataSource(createReadModelDataSource(rebuiltDb.url));
    await rebuiltDs.runMigrations();
    for (let i = 0; i < 2; i++) replicaDs.push(await initializeReadModelDataSource(createReadModelDataSource(db.url)));
    listener = new Client({ connectionString: db.url });
    await listener.connect();
    listener.on('notification', (n) => {
      applied.push(n.payload ?? '');
      appliedBy.set(n.payload ?? '', n.processId);
    });
    await listener.query(`LISTEN ${PROJECTION_CHANNEL}`);
    admin = new Client({ connectionString: db.url });
    await admin.connect();
    bus = await connectBus({ servers: TEST_NATS_URL, namespace: testNamespace(), name: 'redelivery-spec', logger: quiet });
    await ensureTopology(bus);
    store = new EventStore(bus);
    writer = new FixtureWriter(store, bus);
    town = new TownFixture(bus.names.namespace, new FixtureClock());
    subjects.push(town.subject);
    await writer.appendAll([town.created(), town.rigRegistered(rig, 'alpha')]);
    // Two durables on one database: every commit reaches the read models twice, at moments of its own.
    await start('read-models', 0);
    await start('read-models-twin', 1);
  });

  afterAll(async () => {
    if (frozen) {
      // SIGKILL by PID ends it even while stopped, should the test have failed before waking it.
      frozen.child.kill('SIGKILL');
      await frozen.exited();
    }
    await Promise.all(running.splice(0).map((r) => r.stop()));
    await deleteTopology(bus);
    await bus.close();
    await listener.end();
    await admin.end();
    for (const source of [...replicaDs, ds, rebuiltDs]) await source.destroy();
    await db.drop();
    await rebuiltDb.drop();
  });

  async function start(durable: string, replica: number, options: ProjectionRunnerOptions = FAST): Promise<ProjectionRunner> {
    const runner = new ProjectionRunner(replicaDs[replica], bus, { ...options, durable });
    await runner.start();
    running.push(runner);
    return runner;
  }

  async function stopAll(): Promise<void> {
    await Promise.all(running.splice(0).map((r) => r.stop()));
  }

  async function lastStreamSeq(): Promise<number> {
    return (await bus.jsm.streams.info(bus.names.eventStream)).state.last_seq;
  }

  async function acknowledgedAll(durable: string): Promise<void> {
    const last = await lastStreamSeq();
    await eventually(`${durable} to acknowledge the stream up to ${last}`, async () => {
      const info = await bus.jsm.consumers.info(bus.names.eventStream, durable);
      return info.ack_floor.stream_seq >= last && info.num_ack_pending === 0;
    });
  }

  async function checkpoint(subject: string): Promise<number> {
    const rows = (await ds.query(`SELECT last_seq FROM projection_checkpoints WHERE subject = $1`, [subject])) as { last_seq: string }[];
    return rows.length ? Number(rows[0].last_seq) : 0;
  }

  /** Every commit of the stream, in stream order. */
  async function everyCommit(subjects: string[]): Promise<StoredCommit[]> {
    const commits = (await Promise.all(subjects.map((s) => store.readSubject(s)))).flat();
    return commits.sort((a, b) => a.seq - b.seq);
  }

  /** The notifications so far, once the listener has received everything sent before this call. */
  async function appliedSoFar(): Promise<string[]> {
    // A NOTIFY of our own travels behind every earlier one on the listener's connection.
    const marker = `marker ${randomUUID()}`;
    await admin.query(`SELECT pg_notify($1, $2)`, [PROJECTION_CHANNEL, marker]);
    await eventually('the listener to catch up', async () => applied.includes(marker));
    return applied.filter((n) => !n.startsWith('marker '));
  }

  /** Backends of the suite's database that have waited on a lock for at least `ms`. */
  async function lockWaiters(ms: number): Promise<{ pid: number; application: string }[]> {
    // Asked through `ds`: inside the locking transaction pg_stat_activity is a frozen snapshot.
    return (await ds.query(
      `SELECT pid, application_name AS application FROM pg_stat_activity
        WHERE datname = $1 AND wait_event_type = 'Lock' AND now() - state_change >= $2 * interval '1 millisecond'`,
      [db.name, ms],
    )) as { pid: number; application: string }[];
  }

  async function expectEqualToRebuild(): Promise<void> {
    await rebuildReadModels(rebuiltDs, bus);
    expect(await snapshotReadModels(ds)).toEqual(await snapshotReadModels(rebuiltDs));
  }

  it('given two consumers that each deliver every commit while commits stream in, then each commit is applied once and the rows equal a rebuild', async () => {
    const convoys = Array.from({ length: 3 }, () => town.convoy({ defaultRigId: rig }));
    subjects.push(...convoys.map((c) => c.subject));
    const lives = convoys.map(convoyLife);
    // Interleaved across convoys, as concurrent writers produce them.
    for (let step = 0; step < lives[0].length; step++) for (const life of lives) await writer.append(life[step]);

    await acknowledgedAll('read-models');
    await acknowledgedAll('read-models-twin');

    const commits = await everyCommit(subjects);
    const notified = await appliedSoFar();
    expect([...notified].sort()).toEqual(commits.map((c) => `${c.subject} ${c.seq}`).sort());
    await expectEqualToRebuild();

    // And once more, the whole stream delivered again to a running replica: nothing is applied.
    const before = await snapshotReadModels(ds);
    const replica = new ProjectionRunner(replicaDs[0], bus, FAST);
    for (const commit of commits) await replica.onDelivered(commit);
    expect(await snapshotReadModels(ds)).toEqual(before);
    expect(await appliedSoFar()).toEqual(notified);
  });

  it('given commit N replayed after N+5 was applied, then it is a duplicate and no row changes', async () => {
    const convoy = town.convoy({ defaultRigId: rig });
    subjects.push(convoy.subject);
    const seqs = await writer.appendAll(convoyLife(convoy).slice(0, 7));
    await eventually('the convoy to be projected up to its seventh commit', async () => (await checkpoint(convoy.subject)) === seqs[6]);
    const [, late] = await store.readSubject(convoy.subject);
    expect(late.seq).toBe(seqs[1]);
    const before = await snapshotReadModels(ds);
    const notified = await appliedSoFar();

    expect(await applyInTransaction(ds, late)).toBe('duplicate');
    // And through the runner's own entry point, as a late redelivery arrives.
    await new ProjectionRunner(replicaDs[0], bus, FAST).onDelivered(late);

    expect(await snapshotReadModels(ds)).toEqual(before);
    expect(await appliedSoFar()).toEqual(notified);
  });

  it('given a handler held up past its ack wait by a locked checkpoint row, then the commit is applied once when the lock goes and the rows equal a rebuild', async () => {
    await stopAll();
    // Two replicas on one durable with a tiny ack wait: if the server gave the message up as
    // lost, the other replica would take it and run it a second time alongside.
    const slow = { ...FAST, ackWaitMs: TINY_ACK_WAIT_MS, backoffMs: [50] };
    await start('read-models-slow', 0, slow);
    await start('read-models-slow', 1, slow);
    await acknowledgedAll('read-models-slow');

    const convoy = town.convoy({ defaultRigId: rig });
    subjects.push(convoy.subject);
    const life = convoyLife(convoy);
    const [created] = await writer.appendAll([life[0]]);
    await eventually('the new convoy to be projected', async () => (await checkpoint(convoy.subject)) === created);

    await admin.query('BEGIN');
    let dispatched: number;
    let redeliveredWhileLocked: number;
    try {
      await admin.query(`SELECT last_seq FROM projection_checkpoints WHERE subject = $1 FOR UPDATE`, [convoy.subject]);
      [dispatched] = await writer.appendAll([life[1]]);
      // The handler waits on the row lock; wait until it has done so for ten ack waits.
      await eventually(
        'the projector to wait on the locked checkpoint for ten ack waits',
        async () => (await lockWaiters(10 * TINY_ACK_WAIT_MS)).length === 1,
        { timeoutMs: 10_000, intervalMs: 50 },
      );
      redeliveredWhileLocked = (await bus.jsm.consumers.info(bus.names.eventStream, 'read-models-slow')).num_redelivered;
    } finally {
      await admin.query('ROLLBACK');
    }
    await acknowledgedAll('read-models-slow');

    const [row] = await ds.query(`SELECT status, assignee FROM beads WHERE id = $1`, [convoy.bead(0)]);
    expect(row).toEqual({ status: 'IN_PROGRESS', assignee: 'polecat-0' });
    const notified = await appliedSoFar();
    expect(notified.filter((n) => n === `${convoy.subject} ${dispatched}`)).toHaveLength(1);
    // working() every half ack wait kept the server from handing the message to the other replica.
    expect(redeliveredWhileLocked).toBe(0);
    await expectEqualToRebuild();
  });

  it('given a replica frozen (SIGSTOP) mid-commit past its ack wait, when the server redelivers the commit to another replica and the frozen one wakes, then the commit is applied once and the rows equal a rebuild', async () => {
    await stopAll();
    const durable = 'read-models-frozen';
    const replicaUrl = new URL(db.url);
    replicaUrl.searchParams.set('application_name', 'frozen-replica');
    frozen = await startService('gateway', {
      script: 'services/gateway/src/projection/projection-replica.fixture.ts',
      readyText: 'projection replica ready',
      env: {
        DATABASE_URL: replicaUrl.toString(),
        NATS_URL: TEST_NATS_URL,
        GT_NAMESPACE: bus.names.namespace,
        PROJECTION_DURABLE: durable,
        PROJECTION_ACK_WAIT_MS: String(TINY_ACK_WAIT_MS),
      },
    });
    await acknowledgedAll(durable);

    const convoy = town.convoy({ defaultRigId: rig });
    subjects.push(convoy.subject);
    const life = convoyLife(convoy);
    const [created] = await writer.appendAll([life[0]]);
    await acknowledgedAll(durable);
    expect(await checkpoint(convoy.subject)).toBe(created);

    await admin.query('BEGIN');
    let dispatched: number;
    let redelivered: number;
    let frozenPid: number;
    try {
      await admin.query(`SELECT last_seq FROM projection_checkpoints WHERE subject = $1 FOR UPDATE`, [convoy.subject]);
      [dispatched] = await writer.appendAll([life[1]]);
      const frozenBackend = await eventually('the replica process to wait on the locked checkpoint', async () =>
        (await lockWaiters(0)).find((w) => w.application === 'frozen-replica'),
      );
      frozenPid = frozenBackend.pid;
      // Frozen mid-transaction: it can no longer tell the server it is alive, so its ack wait runs out.
      frozen.child.kill('SIGSTOP');
      await start(durable, 1, { ...FAST, ackWaitMs: TINY_ACK_WAIT_MS, backoffMs: [50] });
      await eventually(
        'the server to redeliver the commit to the other replica, which waits on the same row',
        async () => (await lockWaiters(0)).length === 2,
        { timeoutMs: 10_000, intervalMs: 50 },
      );
      redelivered = (await bus.jsm.consumers.info(bus.names.eventStream, durable)).num_redelivered;
    } finally {
      await admin.query('ROLLBACK');
    }
    // The frozen replica's backend was first in line for the row: it now holds it while its
    // process sleeps, and the other replica keeps waiting until the frozen one wakes and commits.
    frozen.child.kill('SIGCONT');
    await acknowledgedAll(durable);

    expect(redelivered).toBeGreaterThan(0);
    expect(await checkpoint(convoy.subject)).toBe(dispatched);
    const notified = await appliedSoFar();
    expect(notified.filter((n) => n === `${convoy.subject} ${dispatched}`)).toHaveLength(1);
    // The handler that outlived its ack wait is the one that applied; the redelivery found it done.
    expect(appliedBy.get(`${convoy.subject} ${dispatched}`)).toBe(frozenPid);
    await expectEqualToRebuild();
    expect(frozen.output()).not.toMatch(/failed|held/);
  });
});
