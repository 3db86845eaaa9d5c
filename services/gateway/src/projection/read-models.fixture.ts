import { connectBus, deleteTopology, ensureTopology, EventStore, type Bus } from '@gastown/bus';
import { createTestDatabase, TEST_NATS_URL, testNamespace, type TestDatabase } from '@gastown/testing';
import type { DataSource } from 'typeorm';
import { createReadModelDataSource, initializeReadModelDataSource } from '../read-models/read-models.datasource';
import { applyCommit, type ApplyOutcome } from '../read-models/read-models.projector';
import { FixtureWriter, type FixtureCommit } from './projection.fixtures';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * A migrated read-model database and a JetStream namespace of a spec's own, into which fixture
 * commits are appended and then applied as the live projector applies them: read back from the
 * stream, each in its own transaction.
 */
export class ReadModelsFixture {
  private constructor(
    readonly db: TestDatabase,
    readonly ds: DataSource,
    readonly bus: Bus,
    readonly store: EventStore,
    private readonly writer: FixtureWriter,
  ) {}

  static async open(name: string): Promise<ReadModelsFixture> {
    const db = await createTestDatabase();
    const ds = await initializeReadModelDataSource(createReadModelDataSource(db.url));
    await ds.runMigrations();
    const bus = await connectBus({ servers: TEST_NATS_URL, namespace: testNamespace(), name, logger: quiet });
    await ensureTopology(bus);
    const store = new EventStore(bus);
    return new ReadModelsFixture(db, ds, bus, store, new FixtureWriter(store, bus));
  }

  async project(...commits: FixtureCommit[]): Promise<ApplyOutcome[]> {
    const outcomes: ApplyOutcome[] = [];
    for (const commit of commits) {
      const seq = await this.writer.append(commit);
      const [stored] = await this.store.readSubject(commit.subject, { afterSeq: seq - 1 });
      outcomes.push(await this.ds.transaction((tx) => applyCommit(tx, stored)));
    }
    return outcomes;
  }

  async close(): Promise<void> {
    await deleteTopology(this.bus);
    await this.bus.close();
    await this.ds.destroy();
    await this.db.drop();
  }
}
