import { randomUUID } from 'node:crypto';
import { event, FixtureClock, TownFixture, type FixtureCommit } from '../projection/projection.fixtures';
import { ReadModelsFixture } from '../projection/read-models.fixture';
import { TownBoundsReader } from '../graphql/graphql.town-bounds';

describe('town bounds kept by the projector', () => {
  let models: ReadModelsFixture;
  let bounds: TownBoundsReader;

  beforeAll(async () => {
    models = await ReadModelsFixture.open('town-bounds-spec');
    bounds = new TownBoundsReader(models.ds);
  });

  afterAll(async () => {
    await models?.close();
  });

  const project = async (...commits: FixtureCommit[]): Promise<void> => {
    await models.project(...commits);
  };

  it('given a town, when rigs, convoys and dependencies are projected, then its bounds are its largest lists at once, each commit included', async () => {
    const town = new TownFixture(models.bus.names.namespace, new FixtureClock());
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
