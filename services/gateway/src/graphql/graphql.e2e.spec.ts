import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { codesOf, GatewayHarness, type GqlResponse, type TestTown } from '../gateway.fixtures';
import { MAX_QUERY_CHARS } from './graphql.limits';

const NESTED_10 = `{ convoys(first: 2) { edges { node { beads(first: 4) { blockedBy(first: 2) { blocks(first: 2) { convoy { beads(first: 4) { rig { name } } } } } } } } } }`;
const NESTED_11 = `{ convoys { edges { node { beads { blockedBy { blocks { convoy { beads { rig { id } blocks { blockedBy { id } } } } } } } } } } }`;
const NESTED_11_BY_FRAGMENT = `
  query { convoys { edges { node { ...Deep } } } }
  fragment Deep on Convoy { beads { blockedBy { blocks { convoy { beads { convoy { rigs { name } } } } } } } }`;
const LIST = `query ($first: Int) { convoys(first: $first) { edges { node { id progress { total } waves rigs { name }
  beads(first: 10) { index rig { name } convoy { title } blockedBy { index } blocks { index } } dependencyEdges { beadId } } } } }`;

function expectNoInternals(response: GqlResponse<unknown>): void {
  const text = JSON.stringify(response);
  expect(text).not.toMatch(/stacktrace|\.ts:\d+|\bat .*\(/);
  expect(text).not.toContain('postgres://');
}

describe('the GraphQL endpoint', () => {
  let h: GatewayHarness;
  let town: TestTown;
  let rigId: string;

  const sling = (input: Record<string, unknown>) =>
    h.gql<{ slingBatch: { id: string; progress: { total: number; open: number }; waves: string[][] } }>(
      town.token,
      `mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { id progress { total open } waves } }`,
      { input },
    );
  const diamond = (title: string) => ({
    title,
    defaultRigId: rigId,
    tasks: [{ title: 'a' }, { title: 'b', dependsOn: [0] }, { title: 'c', dependsOn: [0] }, { title: 'd', dependsOn: [1, 2] }],
  });

  beforeAll(async () => {
    // Heavy reads run in time slices, where each slice sends its own DataLoader batches: the
    // N+1 check below reads 100 convoys, which must be one batch per list, so none is heavy here.
    h = await GatewayHarness.start({ fairShare: { heavyQueryCost: Number.MAX_SAFE_INTEGER } });
    town = await h.createTown('endpoint town');
    const { registerRig } = await h.ok<{ registerRig: { id: string } }>(
      town.token,
      `mutation { registerRig(input: { name: "mono", gitUrl: "/srv/git/mono.git", defaultBranch: "main" }) { id } }`,
    );
    rigId = registerRig.id;
    await sling(diamond('first'));
  });
  afterAll(async () => {
    await h?.close();
  });

  it('given an operation nested 10 fields deep, when sent, then it runs', async () => {
    const response = await h.gql(town.token, NESTED_10);
    expect(response.errors).toBeUndefined();
  });

  it.each([
    ['inline', NESTED_11],
    ['through a fragment', NESTED_11_BY_FRAGMENT],
  ])('given an operation nested 11 fields deep (%s), when sent, then BAD_USER_INPUT and nothing runs', async (_, query) => {
    const response = await h.gql(town.token, query);
    expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors?.[0].message).toBe('the operation is 11 fields deep; at most 10 are allowed');
    expect(response.data).toBeUndefined();
  });

  it('given a query text above the size limit, when sent, then BAD_USER_INPUT tells to use variables', async () => {
    const query = `{ town { id } } # ${'x'.repeat(MAX_QUERY_CHARS)}`;
    const response = await h.gql(town.token, query);
    expect(response.status).toBe(413);
    expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors?.[0].message).toContain('variables');
  });

  it.each([
    ['a syntax error', `{ town { id }`, undefined],
    ['an unknown field', `{ town { id password } }`, undefined],
    ['an unknown enum value', `{ convoys(status: DONE) { totalCount } }`, undefined],
    ['a variable of the wrong type', `query ($first: Int) { convoys(first: $first) { totalCount } }`, { first: 'ten' }],
    ['a missing required variable', `query ($id: ID!) { convoy(id: $id) { id } }`, {}],
    ['an input missing a field', `mutation ($input: SlingInput!) { sling(input: $input) { id } }`, { input: { title: 'x' } }],
  ])('given %s, when sent, then BAD_USER_INPUT without internals', async (_, query, variables) => {
    const response = await h.gql(town.token, query, variables);
    expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
    expectNoInternals(response);
  });

  it('given more convoys, when the same nested list is read, then the number of SQL queries stays the same (no N+1)', async () => {
    const spy = jest.spyOn(PostgresQueryRunner.prototype, 'query');
    try {
      spy.mockClear();
      await h.ok(town.token, LIST, { first: 1 });
      const forOne = spy.mock.calls.length;
      expect(forOne).toBeGreaterThan(5);
      for (let i = 0; i < 4; i++) await sling(diamond(`more ${i}`));
      spy.mockClear();
      const { convoys } = await h.ok<{ convoys: { edges: unknown[] } }>(town.token, LIST, { first: 100 });
      expect(convoys.edges).toHaveLength(5);
      expect(spy.mock.calls.length).toBe(forOne);
    } finally {
      spy.mockRestore();
    }
  });

  it('given a 10,000-task plan with bodies sent as variables, within the plan size limit, when slung, then the convoy comes back complete', async () => {
    // About 7 MB of events: under CONVOY_MAX_PLAN_BYTES' default (8 MiB), which bounds what every follower must read.
    const body = 'Implement the step described in the design document, with tests. '.repeat(8);
    const tasks = Array.from({ length: 10_000 }, (_, i) => ({
      title: `step ${i}`,
      body,
      dependsOn: i === 0 ? [] : [Math.floor((i - 1) / 2)],
    }));
    const started = performance.now();
    const response = await sling({ title: 'Ten thousand', defaultRigId: rigId, tasks });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);

    expect(response.errors).toBeUndefined();
    const convoy = response.data?.slingBatch;
    expect(convoy?.progress).toEqual({ total: 10_000, open: 10_000 });
    expect(convoy?.waves).toHaveLength(14);
    expect(convoy?.waves.flat()).toHaveLength(10_000);
    process.stdout.write(`10,000-task slingBatch (${(JSON.stringify(tasks).length / 1e6).toFixed(1)} MB) answered in ${seconds} s\n`);
  }, 120_000);

  it('given the convoy service is down, when a mutation is sent, then UNAVAILABLE says to retry, and queries still work', async () => {
    await h.convoyService.stop();

    const response = await sling(diamond('while down'));
    expect(codesOf(response)).toEqual(['UNAVAILABLE']);
    expect(response.errors?.[0].message).toMatch(/not running.*retry/);
    expect(response.errors?.[0].extensions['commandId']).toEqual(expect.any(String));
    const { town: read } = await h.ok<{ town: { name: string } }>(town.token, `{ town { name } }`);
    expect(read.name).toBe('endpoint town');
  });
});
