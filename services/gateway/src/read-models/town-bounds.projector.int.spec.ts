import { randomUUID } from 'node:crypto';
import { connectBus, deleteTopology, ensureTopology, EventStore, type Bus } from '@gastown/bus';
import { createTestDatabase, TEST_NATS_URL, testNamespace, type TestDatabase } from '@gastown/testing';
import type { DataSource } from 'typeorm';
import { event, FixtureClock, FixtureWriter, TownFixture, type FixtureCommit } from '../projection/projection.fixtures';
import { TownBoundsReader } from '../graphql/graphql.town-bounds';
import { createReadModelDataSource, initializeReadModelDataSource } from './read-models.datasource';
import { applyCommit } from './read-models.projector';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('town bounds kept by the projector', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let bus: Bus;
  let store: EventStore;
  let writer: FixtureWriter;
  let bounds: TownBoundsReader;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await initializeReadModelDataSource(createReadModelDataSource(db.url));
    await ds.runMigrations();
    bus = await connectBus({ servers: TEST_NATS_URL, namespace: testNamespace(), name: 'town-bounds-spec', logger: quiet });
    await ensureTopology(bus);
    store = new EventStore(bus);
    writer = new FixtureWriter(store, bus);
    bounds = new TownBoundsReader(ds);
  });

  afterAll(async () => {
    await deleteTopology(bus);
    await bus.close();
    await ds.destroy();
    await db.drop();
  });

  /** Appends each commit, reads it back from the stream and applies it in its own transaction, as the projector does. */
  async function project(...commits: FixtureCommit[]): Promise<void> {
    for (const commit of commits) {
      const seq = await writer.append(commit);
      const [stored] = await store.readSubject(commit.subject, { afterSeq: seq - 1 });
      await ds.transaction((tx) => applyCommit(tx, stored));
    }
  }

  it('given a town, when rigs, convoys and dependencies are projected, then its bounds are its largest lists at once, each commit included', async () => {
    const town = new TownFixture(bus.names.namespace, new FixtureClock());
    const [rigA, rigB] = [randomUUID(), randomUUID()];
    await project(town.created(), town.rigRegistered(rigA, 'alpha'));
    expect(await bounds.of(town.townId)).toEqual({ beadsPerConvoy: 0, edgesPerConvoy: 0, blockersPerBead: 0, dependentsPerBead: 0, rigs: 1 });

    const big = town.convoy({ defaultRigId: rigA });
    await project(big.created([{}, { dependsOn: [0] }, { dependsOn: [0] }, { dependsOn: [0, 1, 2] }]));
    // Bead 0 blocks three beads, bead 3 waits for three: five edges in one convoy.
    expect(await bounds.of(town.townId)).toEqual({ beadsPerConvoy: 4, edgesPerConvoy: 5, blockersPerBead: 3, dependentsPerBead: 3, rigs: 1 });

    const small = town.convoy({ defaultRigId: rigA });
    await project(small.created([{}, {}]), town.rigRegistered(rigB, 'beta'));
    expect(await bounds.of(town.townId)).toMatchObject({ beadsPerConvoy: 4, edgesPerConvoy: 5, rigs: 2 });

    await project(big.commit(event('DependencyAdded', { beadId: big.bead(2), dependsOnBeadId: big.bead(1) })));
    expect(await bounds.of(town.townId)).toMatchObject({ edgesPerConvoy: 6, dependentsPerBead: 3, blockersPerBead: 3 });

    // Only ever raised: a removal leaves an upper bound, never one below what a read may return.
    await project(big.commit(event('DependencyRemoved', { beadId: big.bead(3), dependsOnBeadId: big.bead(0) })));
    expect(await bounds.of(town.townId)).toMatchObject({ edgesPerConvoy: 6, blockersPerBead: 3 });
  });

  it('given a town the projector never saw, when its bounds are read, then they are empty', async () => {
    expect(await bounds.of(randomUUID())).toEqual({ beadsPerConvoy: 0, edgesPerConvoy: 0, blockersPerBead: 0, dependentsPerBead: 0, rigs: 0 });
  });
});
