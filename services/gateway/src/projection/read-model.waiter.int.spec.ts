import { randomUUID } from 'node:crypto';
import type { StoredCommit } from '@gastown/bus';
import { createTestDatabase, testNamespace, type TestDatabase } from '@gastown/testing';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createReadModelDataSource, initializeReadModelDataSource } from '../read-models/read-models.datasource';
import { applyCommit } from '../read-models/read-models.projector';
import { FixtureClock, TownFixture, type FixtureCommit } from './projection.fixtures';
import { READ_MODEL_WAITER_APPLICATION, ReadModelTimeoutError, ReadModelWaiter } from './read-model.waiter';

/** So long that only a notification (or a reconnect's re-check) can settle a wait within a test. */
const NO_SAFETY_NET = { recheckMs: 600_000, reconnectMs: 20 };

describe('ReadModelWaiter', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let waiter: ReadModelWaiter;
  let town: TownFixture;
  let seq = 0;
  const lastOf = new Map<string, number>();

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await initializeReadModelDataSource(createReadModelDataSource(db.url));
    await ds.runMigrations();
    waiter = new ReadModelWaiter(db.url, NO_SAFETY_NET);
    await waiter.start();
    town = new TownFixture(testNamespace(), new FixtureClock());
  });

  afterAll(async () => {
    await waiter.close();
    await ds.destroy();
    await db.drop();
  });

  /** Projects a commit as the runner does; sequences are global, as in the stream. */
  async function project(commit: FixtureCommit): Promise<number> {
    const stored: StoredCommit = { ...commit, seq: ++seq, prevSeq: lastOf.get(commit.subject) ?? 0 };
    expect(await ds.transaction((tx) => applyCommit(tx, stored))).toBe('applied');
    lastOf.set(commit.subject, stored.seq);
    return stored.seq;
  }

  it('given a checkpoint already past the sequence, then it resolves at once', async () => {
    const applied = await project(town.created());
    await expect(waiter.waitFor(town.subject, applied, 1000)).resolves.toBeUndefined();
  });

  it('given a wait for commits not applied yet, then each waiter resolves on the notification of its commit', async () => {
    const convoy = town.convoy({ defaultRigId: randomUUID() });
    const commits = [convoy.created([{}]), convoy.dispatched(0), convoy.submitted(0)];
    const first = seq + 1;
    const resolved: number[] = [];
    const waits = [first + 2, first, first + 1].map((s) => waiter.waitFor(convoy.subject, s, 5000).then(() => resolved.push(s)));

    for (const commit of commits) await project(commit);
    await Promise.all(waits);

    expect(resolved).toEqual([first, first + 1, first + 2]);
  });

  it('given the sequence is never reached, then it rejects naming the subject and the sequence', async () => {
    const subject = `${town.subject}.never`;
    const wait = waiter.waitFor(subject, 42, 100);
    await expect(wait).rejects.toBeInstanceOf(ReadModelTimeoutError);
    await expect(wait).rejects.toThrow(`read model did not reach ${subject} seq 42 within 100 ms`);
  });

  it('given its connection is terminated, then it reconnects, listens again and still sees the commit', async () => {
    const convoy = town.convoy({ defaultRigId: randomUUID() });
    const wait = waiter.waitFor(convoy.subject, seq + 1, 10_000);
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    try {
      const { rows } = await admin.query(
        `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
         WHERE datname = $1 AND application_name = $2`,
        [db.name, READ_MODEL_WAITER_APPLICATION],
      );
      expect(rows).toEqual([{ killed: true }]);
    } finally {
      await admin.end();
    }

    await project(convoy.created([{}]));
    await expect(wait).resolves.toBeUndefined();
  });

  it('given it is closed, then pending waits reject and new ones are refused', async () => {
    const closing = new ReadModelWaiter(db.url, NO_SAFETY_NET);
    await closing.start();
    const pending = expect(closing.waitFor(`${town.subject}.later`, 1, 10_000)).rejects.toThrow(/closed while waiting/);
    await closing.close();
    await pending;
    await expect(closing.waitFor(town.subject, 1)).rejects.toThrow(/closed/);
  });
});
