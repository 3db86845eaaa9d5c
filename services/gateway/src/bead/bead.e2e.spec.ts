import { GatewayHarness, codesOf, type TestTown } from '../gateway.fixtures';

const BEAD_FIELDS = `id index title status ready blocked blockedReason attemptCount lastReason assignee branch
  convoy { id status } rig { name } blockedBy { index } blocks { index }`;
const CONVOY_FIELDS = `id status
  beads { ${BEAD_FIELDS} }
  waves
  progress { total open inProgress inReview closed failed cancelled blocked }`;

interface BeadView {
  id: string;
  index: number;
  title: string;
  status: string;
  ready: boolean;
  blocked: boolean;
  blockedReason: string | null;
  attemptCount: number;
  lastReason: string | null;
  convoy: { id: string; status: string };
  rig: { name: string };
  blockedBy: { index: number }[];
  blocks: { index: number }[];
}
interface ConvoyView {
  id: string;
  status: string;
  beads: BeadView[];
  waves: string[][];
  progress: Record<string, number>;
}

const ADD_DEPENDENCY = `mutation ($beadId: ID!, $on: ID!) { addDependency(beadId: $beadId, dependsOnBeadId: $on) { ${BEAD_FIELDS} } }`;
const REMOVE_DEPENDENCY = `mutation ($beadId: ID!, $on: ID!) { removeDependency(beadId: $beadId, dependsOnBeadId: $on) { ${BEAD_FIELDS} } }`;
const indices = (beads: { index: number }[]) => beads.map((b) => b.index);

describe('beads of a staged convoy', () => {
  let h: GatewayHarness;
  let town: TestTown;
  let rigId: string;

  const slingStaged = async (title: string): Promise<ConvoyView> => {
    const { slingBatch } = await h.ok<{ slingBatch: ConvoyView }>(
      town.token,
      `mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { ${CONVOY_FIELDS} } }`,
      {
        input: {
          title,
          defaultRigId: rigId,
          staged: true,
          tasks: [{ title: 'A' }, { title: 'B', dependsOn: [0] }, { title: 'C', dependsOn: [0] }],
        },
      },
    );
    return slingBatch;
  };

  beforeAll(async () => {
    h = await GatewayHarness.start();
    town = await h.createTown('bead town');
    const { registerRig } = await h.ok<{ registerRig: { id: string } }>(
      town.token,
      `mutation ($input: RegisterRigInput!) { registerRig(input: $input) { id } }`,
      { input: { name: 'core', gitUrl: '/srv/git/core.git', defaultBranch: 'main' } },
    );
    rigId = registerRig.id;
  });
  afterAll(async () => {
    await h?.close();
  });

  it('given a staged plan, when dependencies and tasks are edited and the convoy started, then each response shows the new graph and the roots become ready', async () => {
    const convoy = await slingStaged('Edit me');
    const [a, b, c] = convoy.beads;
    expect(convoy.waves).toEqual([[a.id], [b.id, c.id]]);

    const added = await h.ok<{ addDependency: BeadView }>(town.token, ADD_DEPENDENCY, { beadId: c.id, on: b.id });
    expect(indices(added.addDependency.blockedBy)).toEqual([0, 1]);

    const removed = await h.ok<{ removeDependency: BeadView }>(town.token, REMOVE_DEPENDENCY, { beadId: c.id, on: a.id });
    expect(indices(removed.removeDependency.blockedBy)).toEqual([1]);

    const { addTasks } = await h.ok<{ addTasks: ConvoyView }>(
      town.token,
      `mutation ($id: ID!, $tasks: [TaskInput!]!) { addTasks(convoyId: $id, tasks: $tasks) { ${CONVOY_FIELDS} } }`,
      { id: convoy.id, tasks: [{ title: 'D', body: 'after C', dependsOn: [2] }] },
    );
    const d = addTasks.beads[3];
    expect(d).toMatchObject({ index: 3, title: 'D', status: 'OPEN', ready: false, rig: { name: 'core' } });
    expect(indices(d.blockedBy)).toEqual([2]);
    expect(addTasks.waves).toEqual([[a.id], [b.id], [c.id], [d.id]]);

    const { startConvoy } = await h.ok<{ startConvoy: ConvoyView }>(
      town.token,
      `mutation ($id: ID!) { startConvoy(id: $id) { ${CONVOY_FIELDS} } }`,
      { id: convoy.id },
    );
    expect(startConvoy.status).toBe('ACTIVE');
    expect(startConvoy.beads.map((x) => [x.title, x.ready])).toEqual([
      ['A', true],
      ['B', false],
      ['C', false],
      ['D', false],
    ]);
    expect(startConvoy.progress).toMatchObject({ total: 4, open: 4 });
  });

  it('given a dependency that closes a loop, when added, then BAD_USER_INPUT names the cycle and the graph is unchanged', async () => {
    const convoy = await slingStaged('No loops');
    const [a, b] = convoy.beads;

    const response = await h.gql(town.token, ADD_DEPENDENCY, { beadId: a.id, on: b.id });

    expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors?.[0].extensions['cycle']).toEqual(expect.arrayContaining([expect.objectContaining({ title: 'A' })]));
    const { bead } = await h.ok<{ bead: BeadView }>(town.token, `query ($id: ID!) { bead(id: $id) { ${BEAD_FIELDS} } }`, { id: a.id });
    expect(bead.blockedBy).toEqual([]);
    expect(indices(bead.blocks)).toEqual([1, 2]);
  });

  it('given a bead that failed for good, when retried, then it is OPEN and ready again and its dependents are released', async () => {
    const convoy = await slingStaged('Retry me');
    await h.ok(town.token, `mutation ($id: ID!) { startConvoy(id: $id) { id } }`, { id: convoy.id });
    const root = convoy.beads[0];
    const agent = { id: 'agent-1', name: 'polecat' };
    await h.convoyCommand(town.id, convoy.id, { type: 'DispatchBead', data: { beadId: root.id, agent } });
    await h.convoyCommand(town.id, convoy.id, {
      type: 'FailBeadAttempt',
      data: { beadId: root.id, attempt: 1, reason: 'the build is broken', unrecoverable: true },
    });

    const failed = await h.ok<{ convoy: ConvoyView }>(town.token, `query ($id: ID!) { convoy(id: $id) { ${CONVOY_FIELDS} } }`, {
      id: convoy.id,
    });
    expect(failed.convoy.beads[0]).toMatchObject({ status: 'FAILED', lastReason: 'the build is broken', attemptCount: 1 });
    expect(failed.convoy.beads.slice(1).map((x) => [x.blocked, x.ready])).toEqual([
      [true, false],
      [true, false],
    ]);
    expect(failed.convoy.progress).toMatchObject({ total: 3, failed: 1, blocked: 2, open: 0 });

    const { retryBead } = await h.ok<{ retryBead: BeadView }>(
      town.token,
      `mutation ($id: ID!) { retryBead(id: $id) { ${BEAD_FIELDS} } }`,
      { id: root.id },
    );
    expect(retryBead).toMatchObject({ status: 'OPEN', ready: true, convoy: { id: convoy.id } });
    const after = await h.ok<{ convoy: ConvoyView }>(town.token, `query ($id: ID!) { convoy(id: $id) { ${CONVOY_FIELDS} } }`, {
      id: convoy.id,
    });
    expect(after.convoy.progress).toMatchObject({ total: 3, failed: 0, blocked: 0, open: 3 });
  });

  it('given a bead that has not failed, when retried, then CONFLICT', async () => {
    const convoy = await slingStaged('Not failed');
    const response = await h.gql(town.token, `mutation ($id: ID!) { retryBead(id: $id) { id } }`, { id: convoy.beads[0].id });
    expect(codesOf(response)).toEqual(['CONFLICT']);
  });
});
