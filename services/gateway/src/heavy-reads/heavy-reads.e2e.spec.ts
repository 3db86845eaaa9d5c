import { codesOf, GatewayHarness, type GqlResponse, type TestTown } from '../gateway.fixtures';
import type { CostExtension } from '../graphql/graphql.fair-share';
import { DEFAULT_HEAVY_READS } from './heavy-reads.pool';

type Costed<T> = GqlResponse<T> & { extensions?: { cost: CostExtension } };
interface Bead {
  id: string;
  title: string;
  body: string;
  blockedBy: { id: string }[];
}

const BEADS = 400;
/** As long as a body may be, so that a few aliases of the convoy make an answer of hundreds of MB. */
const BODY = 'b'.repeat(16_000);
/** Below a worker's full app (about 100 MB once started) plus one read of many aliases of the convoy. */
const HEAP_MB = 192;
const aliases = (n: number) => `query Heavy($id: ID!) { ${Array.from({ length: n }, (_, i) => `a${i}: convoy(id: $id) { beads { id title body blockedBy { id } } }`).join(' ')} }`;

describe('heavy reads in a worker thread', () => {
  let h: GatewayHarness;
  let reader: TestTown;
  let quiet: TestTown;
  let convoyId: string;

  beforeAll(async () => {
    h = await GatewayHarness.start({
      fairShare: { maxQueryCost: 10_000_000, queryCostBurst: 10_000_000, queryCostPerSecond: 10_000_000, heavyQueryCost: 1_000, heavyQueriesPerTown: 1 },
      heavyReads: { ...DEFAULT_HEAVY_READS, heapMb: HEAP_MB },
    });
    [reader, quiet] = await Promise.all([h.createTown('reader'), h.createTown('quiet')]);
    const { registerRig: rig } = await h.ok<{ registerRig: { id: string } }>(reader.token, `mutation ($input: RegisterRigInput!) { registerRig(input: $input) { id } }`, {
      input: { name: 'reader-rig', gitUrl: '/srv/git/reader.git', defaultBranch: 'main' },
    });
    const { slingBatch } = await h.ok<{ slingBatch: { id: string } }>(reader.token, `mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { id } }`, {
      input: {
        title: 'read whole',
        defaultRigId: rig.id,
        staged: true,
        tasks: Array.from({ length: BEADS }, (_, i) => ({ title: `task ${i}`, body: BODY, dependsOn: i === 0 ? [] : [i - 1] })),
      },
    });
    convoyId = slingBatch.id;
  }, 180_000);

  afterAll(async () => {
    await h?.close();
  });

  it('given a heavy read, when the worker answers it, then the answer is the one the main thread gives page by page, and its cost is what it returned', async () => {
    const whole = await h.gql<Record<string, { beads: Bead[] }>>(reader.token, aliases(2), { id: convoyId });
    expect(codesOf(whole)).toEqual([]);

    const paged: Bead[] = [];
    let after: string | null = null;
    do {
      // 20 beads cost less than GATEWAY_HEAVY_QUERY_COST: these pages run on the main thread.
      const page: Costed<{ convoy: { beads: Bead[] } }> = await h.gql(
        reader.token,
        `query ($id: ID!, $after: ID) { convoy(id: $id) { beads(first: 20, after: $after) { id title body blockedBy { id } } } }`,
        { id: convoyId, after },
      );
      expect(page.extensions?.cost.requestedQueryCost).toBeLessThan(1_000);
      const beads = page.data?.convoy.beads ?? [];
      paged.push(...beads);
      after = beads.length === 20 ? beads[19].id : null;
    } while (after !== null);

    expect(paged).toHaveLength(BEADS);
    expect(whole.data?.['a0'].beads).toEqual(paged);
    expect(whole.data?.['a1'].beads).toEqual(paged);
    // The answer's root, then per alias the convoy, its beads and each bead's blocker: what the worker counted is what the client got.
    expect((whole as Costed<unknown>).extensions?.cost.actualQueryCost).toBe(1 + 2 * (1 + BEADS + (BEADS - 1)));
  }, 120_000);

  it('given a read that needs more memory than a heavy read may take, when it runs, then it alone fails with the limit named, the other town is served meanwhile, and the next heavy read is answered', async () => {
    const tooBig = h.gql(reader.token, aliases(30), { id: convoyId });
    const quietAnswer = await h.gql<{ town: { id: string } }>(quiet.token, '{ town { id } }');
    const refused = await tooBig;

    expect(quietAnswer.data).toEqual({ town: { id: quiet.id } });
    expect(refused.status).toBe(400);
    expect(refused.data).toBeUndefined();
    expect(refused.errors?.[0]).toMatchObject({
      message: `a heavy read needed more than the ${HEAP_MB} MB a heavy read may take; ask for fewer items at once`,
      extensions: { code: 'QUERY_TOO_COSTLY', heapMb: HEAP_MB },
    });

    const next = await h.gql<Record<string, { beads: Bead[] }>>(reader.token, aliases(1), { id: convoyId });
    expect(codesOf(next)).toEqual([]);
    expect(next.data?.['a0'].beads).toHaveLength(BEADS);
  }, 120_000);
});
