import { randomUUID } from 'node:crypto';
import { codesOf, GatewayHarness, type TestTown } from '../gateway.fixtures';

interface Owned {
  rigId: string;
  convoyId: string;
  beadIds: string[];
  cursor: string;
}

describe('authentication and town isolation', () => {
  let h: GatewayHarness;
  let alpha: TestTown;
  let beta: TestTown;
  let owned: Owned;

  beforeAll(async () => {
    h = await GatewayHarness.start();
    [alpha, beta] = await Promise.all([h.createTown('alpha'), h.createTown('beta')]);
    const { registerRig } = await h.ok<{ registerRig: { id: string } }>(
      alpha.token,
      `mutation ($input: RegisterRigInput!) { registerRig(input: $input) { id } }`,
      { input: { name: 'shared-name', gitUrl: '/srv/git/alpha.git', defaultBranch: 'main' } },
    );
    const { slingBatch } = await h.ok<{ slingBatch: { id: string; beads: { id: string }[] } }>(
      alpha.token,
      `mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { id beads { id } } }`,
      {
        input: {
          title: 'Alpha secret plan',
          defaultRigId: registerRig.id,
          staged: true,
          tasks: [{ title: 'one' }, { title: 'two', dependsOn: [0] }],
        },
      },
    );
    const { convoys } = await h.ok<{ convoys: { edges: { cursor: string }[] } }>(alpha.token, `{ convoys { edges { cursor } } }`);
    owned = { rigId: registerRig.id, convoyId: slingBatch.id, beadIds: slingBatch.beads.map((b) => b.id), cursor: convoys.edges[0].cursor };
  });
  afterAll(async () => {
    await h?.close();
  });

  it('given no Authorization header, when any operation is sent, then UNAUTHENTICATED with HTTP 401 and no data', async () => {
    const response = await h.gql(null, `{ town { id } }`);
    expect(response.status).toBe(401);
    expect(codesOf(response)).toEqual(['UNAUTHENTICATED']);
    expect(response.data).toBeUndefined();
  });

  it.each([
    ['an unknown token', `Bearer gt_${'x'.repeat(43)}`],
    ['another scheme', `Basic ${Buffer.from('alpha:secret').toString('base64')}`],
    ['an empty bearer', 'Bearer '],
  ])('given %s, when a mutation is sent, then UNAUTHENTICATED', async (_, authorization) => {
    const response = await h.gql(null, `mutation { closeConvoy(id: "${randomUUID()}", reason: "x") { id } }`, undefined, {
      authorization,
    });
    expect(response.status).toBe(401);
    expect(codesOf(response)).toEqual(['UNAUTHENTICATED']);
  });

  it('given a valid token, when the town is queried, then it is the token’s town', async () => {
    const [a, b] = await Promise.all([
      h.ok<{ town: { id: string; name: string } }>(alpha.token, `{ town { id name createdAt } }`),
      h.ok<{ town: { id: string; name: string } }>(beta.token, `{ town { id name } }`),
    ]);
    expect(a.town).toMatchObject({ id: alpha.id, name: 'alpha' });
    expect(b.town).toEqual({ id: beta.id, name: 'beta' });
  });

  it("given another town's ids, when read by id, then NOT_FOUND on every query", async () => {
    for (const [query, id] of [
      [`query ($id: ID!) { rig(id: $id) { id } }`, owned.rigId],
      [`query ($id: ID!) { convoy(id: $id) { id } }`, owned.convoyId],
      [`query ($id: ID!) { bead(id: $id) { id } }`, owned.beadIds[1]],
    ]) {
      const response = await h.gql(beta.token, query, { id });
      expect(codesOf(response)).toEqual(['NOT_FOUND']);
      expect(JSON.stringify(response)).not.toContain('Alpha secret plan');
    }
  });

  it("given another town's data, when listing, then none of it appears, even filtered by its rig or paged from its cursor", async () => {
    const lists = await h.ok<{ rigs: unknown[]; convoys: { totalCount: number; edges: unknown[] } }>(
      beta.token,
      `query ($rigId: ID) { rigs { id } convoys(rigId: $rigId) { totalCount edges { cursor } } }`,
      { rigId: owned.rigId },
    );
    expect(lists).toEqual({ rigs: [], convoys: { totalCount: 0, edges: [] } });
    const paged = await h.gql(beta.token, `query ($after: String) { convoys(after: $after) { totalCount } }`, { after: owned.cursor });
    expect(codesOf(paged)).toEqual(['BAD_USER_INPUT']);
  });

  it("given another town's ids, when any mutation addresses them, then NOT_FOUND or BAD_USER_INPUT, and the owner sees no change", async () => {
    const [one, two] = owned.beadIds;
    const attempts: [string, Record<string, unknown>, string][] = [
      [`mutation ($id: ID!) { startConvoy(id: $id) { id } }`, { id: owned.convoyId }, 'NOT_FOUND'],
      [`mutation ($id: ID!) { closeConvoy(id: $id, reason: "hostile") { id } }`, { id: owned.convoyId }, 'NOT_FOUND'],
      [`mutation ($id: ID!) { addTasks(convoyId: $id, tasks: [{ title: "x" }]) { id } }`, { id: owned.convoyId }, 'NOT_FOUND'],
      [`mutation ($b: ID!, $on: ID!) { addDependency(beadId: $b, dependsOnBeadId: $on) { id } }`, { b: one, on: two }, 'NOT_FOUND'],
      [`mutation ($b: ID!, $on: ID!) { removeDependency(beadId: $b, dependsOnBeadId: $on) { id } }`, { b: two, on: one }, 'NOT_FOUND'],
      [`mutation ($id: ID!) { retryBead(id: $id) { id } }`, { id: one }, 'NOT_FOUND'],
      [`mutation ($id: ID!) { retryLanding(convoyId: $id) { id } }`, { id: owned.convoyId }, 'NOT_FOUND'],
      [`mutation ($rig: ID!) { clearRigCredentials(rigId: $rig) { id } }`, { rig: owned.rigId }, 'NOT_FOUND'],
      [
        `mutation ($rig: ID!) { setRigCredentials(input: { rigId: $rig, credentials: { httpsToken: { token: "hostile" } } }) { id } }`,
        { rig: owned.rigId },
        'NOT_FOUND',
      ],
      [
        `mutation ($rig: ID!) { sling(input: { title: "borrow", rigId: $rig }) { id } }`,
        { rig: owned.rigId },
        'BAD_USER_INPUT',
      ],
    ];
    for (const [mutation, variables, code] of attempts) {
      expect(codesOf(await h.gql(beta.token, mutation, variables))).toEqual([code]);
    }

    const { convoy } = await h.ok<{ convoy: { status: string; beads: { title: string; blockedBy: { title: string }[] }[] } }>(
      alpha.token,
      `query ($id: ID!) { convoy(id: $id) { status beads { title blockedBy { title } } } }`,
      { id: owned.convoyId },
    );
    expect(convoy).toEqual({
      status: 'STAGED',
      beads: [
        { title: 'one', blockedBy: [] },
        { title: 'two', blockedBy: [{ title: 'one' }] },
      ],
    });
  });

  it("given a rig name another town uses, when registered, then it is this town's own rig", async () => {
    const { registerRig } = await h.ok<{ registerRig: { id: string; name: string } }>(
      beta.token,
      `mutation ($input: RegisterRigInput!) { registerRig(input: $input) { id name } }`,
      { input: { name: 'shared-name', gitUrl: '/srv/git/beta.git', defaultBranch: 'main' } },
    );
    expect(registerRig.id).not.toBe(owned.rigId);
    const { rigs } = await h.ok<{ rigs: { id: string }[] }>(alpha.token, `{ rigs { id } }`);
    expect(rigs).toEqual([{ id: owned.rigId }]);
  });
});
