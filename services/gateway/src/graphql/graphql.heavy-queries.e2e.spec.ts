import { eventually } from '@gastown/testing';
import { codesOf, GatewayHarness, type GqlResponse, type TestTown } from '../gateway.fixtures';
import { DEFAULT_HEAVY_READS } from '../heavy-reads/heavy-reads.pool';
import { HEAVY_QUERIES_QUEUED, HEAVY_QUERY_RETRY_MS, type CostExtension } from './graphql.fair-share';

type Costed = GqlResponse<unknown> & { extensions?: { cost: CostExtension } };

const BEADS = 1_000;
const BODY = 'x'.repeat(300);
/** Five aliases of every bead with its body and both link lists: about 15,000 objects and 2 MB of JSON. */
const HEAVY = `query ($id: ID!) { ${Array.from({ length: 5 }, (_, i) => `a${i}: convoy(id: $id) { beads { id title body blockedBy { id title } blocks { id title } } }`).join(' ')} }`;

describe('heavy queries: a town flooding the heaviest admitted reads against another town', () => {
  let h: GatewayHarness;
  let flooding: TestTown;
  let quiet: TestTown;
  let convoyId: string;

  beforeAll(async () => {
    // Above the default budget, so the time slices and the town's gate are what keeps the quiet town served.
    h = await GatewayHarness.start({
      fairShare: { maxQueryCost: 1_000_000, queryCostBurst: 1_000_000, queryCostPerSecond: 500_000, heavyQueryCost: 1_000, heavyQueriesPerTown: 1 },
      heavyReads: DEFAULT_HEAVY_READS,
    });
    [flooding, quiet] = await Promise.all([h.createTown('flooding'), h.createTown('quiet')]);
    const { registerRig: rig } = await h.ok<{ registerRig: { id: string } }>(
      flooding.token,
      `mutation ($input: RegisterRigInput!) { registerRig(input: $input) { id } }`,
      { input: { name: 'flooding-rig', gitUrl: '/srv/git/flooding.git', defaultBranch: 'main' } },
    );
    const { slingBatch } = await h.ok<{ slingBatch: { id: string } }>(flooding.token, `mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { id } }`, {
      input: {
        title: 'read by the heavy queries',
        defaultRigId: rig.id,
        staged: true,
        tasks: Array.from({ length: BEADS }, (_, i) => ({ title: `task ${i}`, body: BODY, dependsOn: i === 0 ? [] : [i - 1] })),
      },
    });
    convoyId = slingBatch.id;
    // Reads are priced by the town's largest lists, which the projector raises with the rows.
    await eventually('the flooding town’s reads priced by its new convoy', async () => {
      const answer = await h.gql(flooding.token, `query ($id: ID!) { convoy(id: $id) { beads { id } } }`, { id: convoyId });
      return ((answer as Costed).extensions?.cost.requestedQueryCost ?? 0) > BEADS;
    });
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  it('given the flooding town’s heavy reads in flight, when the quiet town asks, then its answers come while the heavy reads are still running, and the reads past the town’s queue are refused', async () => {
    const settled: string[] = [];
    const floods = Array.from({ length: 2 + HEAVY_QUERIES_QUEUED }, (_, i) =>
      h.gql(flooding.token, HEAVY, { id: convoyId }).then((answer) => {
        if (codesOf(answer).length === 0) settled.push(`heavy ${i}`);
        return answer;
      }),
    );
    const quietAnswers: GqlResponse<{ town: { id: string } }>[] = [];
    for (let i = 0; i < 3; i++) {
      quietAnswers.push(await h.gql<{ town: { id: string } }>(quiet.token, `{ town { id } }`));
      settled.push(`quiet ${i}`);
    }
    const answers = await Promise.all(floods);

    expect(quietAnswers.map((a) => a.data)).toEqual(Array.from({ length: 3 }, () => ({ town: { id: quiet.id } })));
    // One heavy read runs at a time and each takes many turns of the event loop: the quiet town's
    // three answers, asked one after another, all came before the first heavy answer.
    expect(settled.slice(0, 3)).toEqual(['quiet 0', 'quiet 1', 'quiet 2']);

    const answered = answers.filter((a) => codesOf(a).length === 0);
    const refused = answers.filter((a) => codesOf(a).includes('RATE_LIMITED'));
    expect(answered.length).toBe(1 + HEAVY_QUERIES_QUEUED);
    expect(answered[0].data?.['a4']).toMatchObject({ beads: expect.arrayContaining([expect.objectContaining({ title: 'task 999', body: BODY })]) });
    expect(refused.length).toBe(1);
    expect(refused[0].status).toBe(429);
    expect(refused[0].errors?.[0].message).toBe(
      `rate limited: the town already runs 1 read(s) costing 1000 or more, and ${HEAVY_QUERIES_QUEUED} wait; retry in 1.0 s`,
    );
    expect(refused[0].errors?.[0].extensions['retryAfterMs']).toBe(HEAVY_QUERY_RETRY_MS);
  }, 120_000);
});
