import { DEFAULT_FAIR_SHARE } from '../config/gateway.config';
import { DEFAULT_HEAVY_READS } from '../heavy-reads/heavy-reads.pool';
import { codesOf, GatewayHarness, type GqlResponse, type TestTown } from '../gateway.fixtures';
import type { CostExtension } from '../graphql/graphql.fair-share';

type Costed<T> = GqlResponse<T> & { extensions?: { cost: CostExtension } };

/** A convoy as large as a plan may be, each bead waiting for the one before it and for its parent in a binary tree. */
const BEADS = DEFAULT_FAIR_SHARE.maxTasks;
const dependsOn = (i: number) => [...new Set(i === 0 ? [] : [i - 1, Math.floor((i - 1) / 2)])];
const EDGES = Array.from({ length: BEADS }, (_, i) => dependsOn(i).length).reduce((a, b) => a + b, 0);

/** The dashboard's convoy page (apps/dashboard convoy.store.ts): the convoy's own fields, then a page of beads and one of edges. */
const PAGE = `query ConvoyPage($id: ID!, $beads: Int!, $beadsAfter: ID, $edges: Int!, $edgesAfter: String) {
  convoy(id: $id) {
    sequence id title slug status mergeMode staged parallel featureBranch featureBranches { rigId branch }
    createdAt updatedAt landedAt landedCommit landings { rigId status commit reason } cancelReason failureReason held heldReason heldSince
    mergesUnderWay { id title status } landingsUnderWay { rigId status commit reason }
    progress { total open blocked inProgress inReview closed failed cancelled }
    rigs { id name }
    beads(first: $beads, after: $beadsAfter) { id index title status blocked blockedReason assignee rigId branch attemptCount mergeUnderWay }
    dependencyEdges(first: $edges, after: $edgesAfter) { beadId dependsOnBeadId cursor }
  }
}`;
const BEAD_PAGE = 500;
const EDGE_PAGE = 2_000;

interface Page {
  convoy: { beads: { id: string; index: number }[]; dependencyEdges: { beadId: string; dependsOnBeadId: string; cursor: string }[] };
}

describe('convoy paging: a convoy of CONVOY_MAX_TASKS beads read page by page within the default budget', () => {
  let h: GatewayHarness;
  let town: TestTown;
  let convoyId: string;
  let rigId: string;

  beforeAll(async () => {
    // Pages cost more than GATEWAY_HEAVY_QUERY_COST: they are read by the heavy-read worker, as in production.
    h = await GatewayHarness.start({ heavyReads: DEFAULT_HEAVY_READS });
    town = await h.createTown('paging');
    const { registerRig: rig } = await h.ok<{ registerRig: { id: string } }>(
      town.token,
      `mutation ($input: RegisterRigInput!) { registerRig(input: $input) { id } }`,
      { input: { name: 'paging-rig', gitUrl: '/srv/git/paging.git', defaultBranch: 'main' } },
    );
    const { slingBatch } = await h.ok<{ slingBatch: { id: string } }>(town.token, `mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { id } }`, {
      input: {
        title: 'as large as a plan may be',
        defaultRigId: rig.id,
        staged: true,
        tasks: Array.from({ length: BEADS }, (_, i) => ({ title: `task ${i}`, dependsOn: dependsOn(i) })),
      },
    });
    convoyId = slingBatch.id;
    rigId = rig.id;
  }, 180_000);

  afterAll(async () => {
    await h?.close();
  });

  it('given the convoy just created, when every bead is asked for at once, then the read is priced at its real size and refused, naming cost and limit', async () => {
    const answer = await h.gql(town.token, `query ($id: ID!) { convoy(id: $id) { beads { id } } }`, { id: convoyId });

    expect(codesOf(answer)).toEqual(['QUERY_TOO_COSTLY']);
    expect(answer.errors?.[0].extensions).toMatchObject({ cost: 1 + BEADS, limit: DEFAULT_FAIR_SHARE.maxQueryCost });
  });

  it('given the dashboard’s page query, when the convoy is read page by page with the cursors, then every bead and every edge comes exactly once, in order, and no page costs more than the default budget', async () => {
    const beads: { id: string; index: number }[] = [];
    const edges: string[] = [];
    let beadsAfter: string | null = null;
    let edgesAfter: string | null = null;
    let beadsDone = false;
    let edgesDone = false;
    let pages = 0;
    while (!beadsDone || !edgesDone) {
      const want: { beads: number; edges: number } = { beads: beadsDone ? 0 : BEAD_PAGE, edges: edgesDone ? 0 : EDGE_PAGE };
      const answer: Costed<Page> = await h.gql<Page>(town.token, PAGE, { id: convoyId, ...want, beadsAfter, edgesAfter });
      expect(answer.errors).toBeUndefined();
      expect(answer.extensions?.cost.requestedQueryCost).toBeLessThanOrEqual(DEFAULT_FAIR_SHARE.maxQueryCost);
      const page = (answer.data as Page).convoy;
      beads.push(...page.beads);
      edges.push(...page.dependencyEdges.map((e) => `${e.beadId}>${e.dependsOnBeadId}`));
      beadsAfter = page.beads.at(-1)?.id ?? beadsAfter;
      edgesAfter = page.dependencyEdges.at(-1)?.cursor ?? edgesAfter;
      beadsDone ||= page.beads.length < want.beads;
      edgesDone ||= page.dependencyEdges.length < want.edges;
      pages += 1;
    }

    expect(beads.map((b) => b.index)).toEqual(Array.from({ length: BEADS }, (_, i) => i));
    expect(new Set(beads.map((b) => b.id)).size).toBe(BEADS);
    expect(edges).toHaveLength(EDGES);
    expect(new Set(edges).size).toBe(EDGES);
    expect(pages).toBe(Math.max(Math.floor(BEADS / BEAD_PAGE), Math.floor(EDGES / EDGE_PAGE)) + 1);
  }, 120_000);

  it('given the dashboard’s rig view (its convoys with the rig’s counts and first beads), when read on this town, then it fits the default budget and counts every bead', async () => {
    const view = `query ($id: ID!) {
      convoys(rigId: $id, first: 20) { edges { node {
        id progress { total } rigProgress: progress(rigId: $id) { total open }
        beads(rigId: $id, first: 30) { id index rigId attempts { number outcome endedAt } }
      } } }
    }`;
    const answer: Costed<{ convoys: { edges: { node: { rigProgress: { total: number }; beads: { index: number; rigId: string }[] } }[] } }> = await h.gql(
      town.token,
      view,
      { id: rigId },
    );

    expect(answer.errors).toBeUndefined();
    expect(answer.extensions?.cost.requestedQueryCost).toBeLessThanOrEqual(DEFAULT_FAIR_SHARE.maxQueryCost);
    const [{ node }] = answer.data?.convoys.edges ?? [];
    expect(node.rigProgress).toEqual({ total: BEADS, open: BEADS });
    expect(node.beads.map((b) => b.index)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    const other = await h.ok<{ convoy: { progress: { total: number }; beads: unknown[] } }>(
      town.token,
      `query ($id: ID!, $rig: ID!) { convoy(id: $id) { progress(rigId: $rig) { total } beads(rigId: $rig, first: 5) { id } } }`,
      { id: convoyId, rig: '00000000-0000-4000-8000-000000000000' },
    );
    expect(other.convoy).toEqual({ progress: { total: 0 }, beads: [] });
  });

  it('given a cursor that is not one, when a page is asked for, then it is BAD_USER_INPUT', async () => {
    const beads = await h.gql(town.token, `query ($id: ID!) { convoy(id: $id) { beads(first: 1, after: "nope") { id } } }`, { id: convoyId });
    const edges = await h.gql(town.token, `query ($id: ID!) { convoy(id: $id) { dependencyEdges(first: 1, after: "nope") { beadId } } }`, { id: convoyId });

    expect(codesOf(beads)).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(edges)).toEqual(['BAD_USER_INPUT']);
  });
});
