import { randomUUID } from 'node:crypto';
import { codesOf, GatewayHarness, type TestTown } from '../gateway.fixtures';

const CONVOY_FIELDS = `
  id title slug status mergeMode staged parallel featureBranch
  featureBranches { rigId branch }
  createdAt updatedAt landedAt landedCommit landings { rigId commit } failureReason cancelReason
  progress { total open inProgress inReview closed failed cancelled blocked }
  beads { id index title body status ready blocked rigId convoyId blockedBy { index } blocks { index } }
  dependencyEdges { beadId dependsOnBeadId }
  waves
  rigs { id name }
`;

const SLING_BATCH = `mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { ${CONVOY_FIELDS} } }`;
const CONVOY = `query ($id: ID!) { convoy(id: $id) { ${CONVOY_FIELDS} } }`;
const REGISTER_RIG = `mutation ($input: RegisterRigInput!) { registerRig(input: $input) { id name gitUrl defaultBranch createdAt } }`;
const CONVOYS = `query ($status: ConvoyStatus, $rigId: ID, $first: Int, $after: String) {
  convoys(status: $status, rigId: $rigId, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id title status } }
  }
}`;

interface BeadView {
  id: string;
  index: number;
  title: string;
  status: string;
  ready: boolean;
  blockedBy: { index: number }[];
  blocks: { index: number }[];
}
interface ConvoyView {
  id: string;
  title: string;
  slug: string;
  status: string;
  staged: boolean;
  featureBranch: string | null;
  featureBranches: { rigId: string; branch: string }[];
  cancelReason: string | null;
  progress: Record<string, number>;
  beads: BeadView[];
  dependencyEdges: { beadId: string; dependsOnBeadId: string }[];
  waves: string[][];
  rigs: { id: string; name: string }[];
}
interface ConvoysView {
  convoys: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: { cursor: string; node: { id: string; title: string; status: string } }[];
  };
}

const diamond = (rigId: string, extra: Record<string, unknown> = {}) => ({
  title: 'Add billing export',
  defaultRigId: rigId,
  tasks: [
    { title: 'A schema', body: 'add the table' },
    { title: 'B writer', body: 'write rows', dependsOn: [0] },
    { title: 'C reader', body: 'read rows', dependsOn: [0] },
    { title: 'D endpoint', body: 'expose it', dependsOn: [1, 2] },
  ],
  ...extra,
});

describe('convoys over GraphQL', () => {
  let h: GatewayHarness;
  let town: TestTown;
  let rigId: string;

  const slingBatch = (input: Record<string, unknown>) => h.gql<{ slingBatch: ConvoyView }>(town.token, SLING_BATCH, { input });
  const slung = async (input: Record<string, unknown>) => (await h.ok<{ slingBatch: ConvoyView }>(town.token, SLING_BATCH, { input })).slingBatch;

  beforeAll(async () => {
    h = await GatewayHarness.start({
      // The operator's catalogue; town commands stay refused, as on every multi-tenant install.
      convoyEnv: {
        GASTOWN_AGENT_PASS_ENV_ALLOWED: 'OPENAI_API_KEY',
        GASTOWN_AGENT_PROFILES_JSON: JSON.stringify({ aider: { command: ['aider', '--message-file', '{prompt}'], passEnv: ['OPENAI_API_KEY'], network: true } }),
      },
    });
    town = await h.createTown('convoy town');
    const { registerRig } = await h.ok<{ registerRig: { id: string } }>(town.token, REGISTER_RIG, {
      input: { name: 'billing', gitUrl: 'https://git.example.com/acme/billing.git', defaultBranch: 'main' },
    });
    rigId = registerRig.id;
  });
  afterAll(async () => {
    await h?.close();
  });

  it('given a registered rig, when the town lists its rigs, then it is there, and a retried registration returns the same rig', async () => {
    const commandId = randomUUID();
    const input = { name: 'api', gitUrl: '/srv/git/api.git', defaultBranch: 'trunk', commandId };
    const first = await h.ok<{ registerRig: { id: string; name: string; defaultBranch: string } }>(town.token, REGISTER_RIG, { input });
    const again = await h.ok<{ registerRig: { id: string } }>(town.token, REGISTER_RIG, { input });

    expect(first.registerRig).toMatchObject({ name: 'api', defaultBranch: 'trunk' });
    expect(again.registerRig.id).toBe(first.registerRig.id);
    const { rigs } = await h.ok<{ rigs: { id: string; name: string }[] }>(town.token, `{ rigs { id name } }`);
    expect(rigs.map((r) => r.name)).toEqual(['api', 'billing']);
    const { rig } = await h.ok<{ rig: { gitUrl: string } }>(town.token, `query ($id: ID!) { rig(id: $id) { gitUrl } }`, {
      id: first.registerRig.id,
    });
    expect(rig.gitUrl).toBe('/srv/git/api.git');
  });

  it('given a rig name already in use, when another rig is registered under it, then the error names the field', async () => {
    const response = await h.gql(town.token, REGISTER_RIG, {
      input: { name: 'billing', gitUrl: '/srv/git/other.git', defaultBranch: 'main' },
    });
    expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors?.[0].extensions['errors']).toEqual([expect.objectContaining({ path: ['name'] })]);
  });

  it('given a rig naming an agent profile and checks, when registered, then the configuration reads back with defaults filled', async () => {
    const { registerRig } = await h.ok<{ registerRig: { config: Record<string, unknown> } }>(
      town.token,
      `mutation ($input: RegisterRigInput!) { registerRig(input: $input) {
        config { maxPolecats agentTimeoutMs allowEmptyBeads mergeStrategy agent { kind profile command passEnv } checks { name command } } } }`,
      {
        input: {
          name: 'web',
          gitUrl: '/srv/git/web.git',
          defaultBranch: 'main',
          config: { maxPolecats: 2, agent: { kind: 'PROFILE', profile: 'aider' }, checks: [{ name: 'test', command: ['npm', 'test'] }] },
        },
      },
    );
    expect(registerRig.config).toEqual({
      maxPolecats: 2,
      agentTimeoutMs: 1_800_000,
      allowEmptyBeads: false,
      mergeStrategy: 'no-ff',
      agent: { kind: 'PROFILE', profile: 'aider', command: null, passEnv: null },
      checks: [{ name: 'test', command: ['npm', 'test'] }],
    });
  });

  it('given a multi-tenant install, when a hostile town registers its own command reading the runner\'s secrets, then it is BAD_USER_INPUT naming the field and the profiles, and nothing is registered', async () => {
    const response = await h.gql(town.token, REGISTER_RIG, {
      input: {
        name: 'hostile',
        gitUrl: '/srv/git/hostile.git',
        defaultBranch: 'main',
        config: { agent: { kind: 'COMMAND', command: ['sh', '-c', 'cat /proc/$PPID/environ > marker'], passEnv: ['DATABASE_URL', 'NATS_URL'] } },
      },
    });
    expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors?.[0].message).toContain('GASTOWN_ALLOW_TOWN_AGENT_COMMANDS=true');
    expect(response.errors?.[0].message).toContain('(demo, aider)');
    expect(response.errors?.[0].extensions['errors']).toEqual([
      expect.objectContaining({ path: ['config', 'agent', 'kind'] }),
      expect.objectContaining({ path: ['config', 'agent', 'passEnv', 0], message: 'config.agent.passEnv[0]: DATABASE_URL is an infrastructure variable and is never handed to an agent' }),
      expect.objectContaining({ path: ['config', 'agent', 'passEnv', 1], message: 'config.agent.passEnv[1]: NATS_URL is an infrastructure variable and is never handed to an agent' }),
    ]);
    const rigs = await h.ok<{ rigs: { name: string }[] }>(town.token, '{ rigs { name } }');
    expect(rigs.rigs.map((r) => r.name)).not.toContain('hostile');
  });

  it('given a profile the operator does not have, when a town names it, then it is BAD_USER_INPUT listing the profiles, and nothing is registered', async () => {
    const response = await h.gql(town.token, REGISTER_RIG, {
      input: { name: 'unknown-agent', gitUrl: '/srv/git/unknown.git', defaultBranch: 'main', config: { agent: { kind: 'PROFILE', profile: 'root' } } },
    });
    expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors?.[0].message).toContain('config.agent.profile "root" is not an agent profile of this installation: use one of demo, aider');
    const rigs = await h.ok<{ rigs: { name: string }[] }>(town.token, '{ rigs { name } }');
    expect(rigs.rigs.map((r) => r.name)).not.toContain('unknown-agent');
  });

  it('given a rig configuration with a bad value, when registered, then the error names the field and nothing is registered', async () => {
    const response = await h.gql(town.token, REGISTER_RIG, {
      input: { name: 'bad-config', gitUrl: '/srv/git/bad.git', defaultBranch: 'main', config: { maxPolecats: 0 } },
    });
    expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
    expect(JSON.stringify(response.errors?.[0].extensions['errors'])).toMatch(/maxPolecats/);
    const rigs = await h.ok<{ rigs: { name: string }[] }>(town.token, '{ rigs { name } }');
    expect(rigs.rigs.map((r) => r.name)).not.toContain('bad-config');
  });

  it('given a diamond plan, when it is slung, then the response already shows its beads, edges, waves, progress and feature branch', async () => {
    const convoy = await slung(diamond(rigId));
    const [a, b, c, d] = convoy.beads;

    expect(convoy).toMatchObject({ title: 'Add billing export', slug: 'add-billing-export', status: 'ACTIVE', staged: false });
    expect(convoy.featureBranch).toBe(`convoy/add-billing-export/${convoy.id.slice(0, 8)}/head`);
    expect(convoy.featureBranches).toEqual([{ rigId, branch: convoy.featureBranch }]);
    expect(convoy.beads.map((x) => [x.index, x.title, x.status, x.ready])).toEqual([
      [0, 'A schema', 'OPEN', true],
      [1, 'B writer', 'OPEN', false],
      [2, 'C reader', 'OPEN', false],
      [3, 'D endpoint', 'OPEN', false],
    ]);
    expect(convoy.waves).toEqual([[a.id], [b.id, c.id], [d.id]]);
    expect(convoy.dependencyEdges).toHaveLength(4);
    expect(convoy.dependencyEdges).toEqual(
      expect.arrayContaining([
        { beadId: b.id, dependsOnBeadId: a.id },
        { beadId: c.id, dependsOnBeadId: a.id },
        { beadId: d.id, dependsOnBeadId: b.id },
        { beadId: d.id, dependsOnBeadId: c.id },
      ]),
    );
    expect(d.blockedBy).toEqual([{ index: 1 }, { index: 2 }]);
    expect(a.blocks).toEqual([{ index: 1 }, { index: 2 }]);
    expect(convoy.progress).toEqual({ total: 4, open: 4, inProgress: 0, inReview: 0, closed: 0, failed: 0, cancelled: 0, blocked: 0 });
    expect(convoy.rigs).toEqual([{ id: rigId, name: 'billing' }]);

    const read = await h.ok<{ convoy: ConvoyView }>(town.token, CONVOY, { id: convoy.id });
    expect(read.convoy).toEqual(convoy);
  });

  it('given a plan with a cycle, when it is slung, then BAD_USER_INPUT names the cycle and nothing is created', async () => {
    const before = await h.ok<ConvoysView>(town.token, CONVOYS, {});
    const response = await slingBatch({
      title: 'Loop',
      defaultRigId: rigId,
      tasks: [
        { title: 'first', dependsOn: [2] },
        { title: 'second', dependsOn: [0] },
        { title: 'third', dependsOn: [1] },
      ],
    });

    expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.data).toBeNull();
    expect(response.errors?.[0].message).toMatch(/cycle/);
    const cycle = response.errors?.[0].extensions['cycle'] as { index: number; title: string }[];
    expect(cycle[0]).toEqual(cycle.at(-1));
    expect(new Set(cycle.map((step) => step.title))).toEqual(new Set(['first', 'second', 'third']));
    const after = await h.ok<ConvoysView>(town.token, CONVOYS, {});
    expect(after.convoys.totalCount).toBe(before.convoys.totalCount);
  });

  it('given a dependsOn index out of range, when slung, then BAD_USER_INPUT names the task and the value', async () => {
    const response = await slingBatch({
      title: 'Out of range',
      defaultRigId: rigId,
      tasks: [{ title: 'only' }, { title: 'second', dependsOn: [7] }],
    });

    expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors?.[0].message).toContain('"second"');
    expect(response.errors?.[0].extensions['errors']).toEqual([
      expect.objectContaining({ path: ['tasks', 1, 'dependsOn', 0], value: 7 }),
    ]);
  });

  it('given a rig the town does not have, when slung, then BAD_USER_INPUT points at defaultRigId', async () => {
    const response = await slingBatch({ ...diamond(randomUUID()), title: 'Nowhere' });
    expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors?.[0].extensions['errors']).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: ['defaultRigId'] })]),
    );
  });

  it('given a slingBatch retried with the same commandId, when it arrives again, then the same convoy comes back and nothing new exists', async () => {
    const commandId = randomUUID();
    const first = await slung(diamond(rigId, { title: 'Retried', commandId }));
    const before = await h.ok<ConvoysView>(town.token, CONVOYS, { first: 100 });
    const again = await slung(diamond(rigId, { title: 'Retried', commandId }));
    const after = await h.ok<ConvoysView>(town.token, CONVOYS, { first: 100 });

    expect(again.id).toBe(first.id);
    expect(again.beads.map((b) => b.id)).toEqual(first.beads.map((b) => b.id));
    expect(after.convoys.totalCount).toBe(before.convoys.totalCount);
    expect(after.convoys.edges.filter((e) => e.node.title === 'Retried')).toHaveLength(1);
  });

  it('given a single task, when slung in REVIEW_AND_MERGE, then the convoy has one bead and no feature branch', async () => {
    const { sling } = await h.ok<{ sling: ConvoyView }>(
      town.token,
      `mutation ($input: SlingInput!) { sling(input: $input) { ${CONVOY_FIELDS} } }`,
      { input: { title: 'Fix typo', body: 'in README', rigId, mergeMode: 'REVIEW_AND_MERGE' } },
    );
    expect(sling.featureBranch).toBeNull();
    expect(sling.featureBranches).toEqual([]);
    expect(sling.beads.map((b) => [b.title, b.ready])).toEqual([['Fix typo', true]]);
    expect(sling.waves).toEqual([[sling.beads[0].id]]);
  });

  it('given a staged convoy, when it is started, then its roots are ready at once; starting it again is a CONFLICT', async () => {
    const staged = await slung(diamond(rigId, { title: 'Staged one', staged: true }));
    expect(staged.status).toBe('STAGED');
    expect(staged.beads.filter((b) => b.ready)).toEqual([]);

    const START = `mutation ($id: ID!) { startConvoy(id: $id) { status beads { index ready } } }`;
    const started = await h.ok<{ startConvoy: { status: string; beads: { index: number; ready: boolean }[] } }>(town.token, START, {
      id: staged.id,
    });
    expect(started.startConvoy.status).toBe('ACTIVE');
    expect(started.startConvoy.beads.filter((b) => b.ready).map((b) => b.index)).toEqual([0]);

    const again = await h.gql(town.token, START, { id: staged.id });
    expect(codesOf(again)).toEqual(['CONFLICT']);
  });

  it('given an active convoy, when it is closed, then it and every bead are CANCELLED, and closing it again returns the same convoy', async () => {
    const { id } = await slung(diamond(rigId, { title: 'To cancel' }));
    const CLOSE = `mutation ($id: ID!, $reason: String!) { closeConvoy(id: $id, reason: $reason) { ${CONVOY_FIELDS} } }`;

    const closed = await h.ok<{ closeConvoy: ConvoyView }>(town.token, CLOSE, { id, reason: 'plan changed' });
    expect(closed.closeConvoy).toMatchObject({ id, status: 'CANCELLED', cancelReason: 'plan changed' });
    expect(closed.closeConvoy.beads.map((b) => [b.status, b.ready])).toEqual(Array(4).fill(['CANCELLED', false]));
    expect(closed.closeConvoy.progress).toMatchObject({ total: 4, cancelled: 4, open: 0 });

    const again = await h.ok<{ closeConvoy: ConvoyView }>(town.token, CLOSE, { id, reason: 'twice' });
    expect(again.closeConvoy).toEqual(closed.closeConvoy);
  });

  it('given unknown ids, when read or changed, then NOT_FOUND', async () => {
    const unknown = randomUUID();
    for (const [query, variables] of [
      [CONVOY, { id: unknown }],
      [CONVOY, { id: 'not-a-uuid' }],
      [`query ($id: ID!) { bead(id: $id) { id } }`, { id: unknown }],
      [`query ($id: ID!) { rig(id: $id) { id } }`, { id: unknown }],
      [`mutation ($id: ID!) { startConvoy(id: $id) { id } }`, { id: unknown }],
      [`mutation ($id: ID!) { retryBead(id: $id) { id } }`, { id: unknown }],
    ] as const) {
      expect(codesOf(await h.gql(town.token, query, variables))).toEqual(['NOT_FOUND']);
    }
  });
});

describe('the convoy list', () => {
  let h: GatewayHarness;
  let town: TestTown;
  const rigs: Record<string, string> = {};
  const created: string[] = [];

  beforeAll(async () => {
    h = await GatewayHarness.start();
    town = await h.createTown('list town');
    for (const name of ['web', 'mobile']) {
      const { registerRig } = await h.ok<{ registerRig: { id: string } }>(town.token, REGISTER_RIG, {
        input: { name, gitUrl: `/srv/git/${name}.git`, defaultBranch: 'main' },
      });
      rigs[name] = registerRig.id;
    }
    for (let i = 0; i < 5; i++) {
      const { sling } = await h.ok<{ sling: { id: string } }>(
        town.token,
        `mutation ($input: SlingInput!) { sling(input: $input) { id } }`,
        { input: { title: `convoy ${i}`, rigId: i % 2 === 0 ? rigs['web'] : rigs['mobile'], staged: i === 4 } },
      );
      created.push(sling.id);
    }
  });
  afterAll(async () => {
    await h?.close();
  });

  it('given five convoys, when paged two at a time, then every convoy comes once, newest first, with a total', async () => {
    const titles: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const { convoys }: ConvoysView = await h.ok<ConvoysView>(town.token, CONVOYS, { first: 2, after });
      pages++;
      expect(convoys.totalCount).toBe(5);
      titles.push(...convoys.edges.map((e) => e.node.title));
      expect(convoys.pageInfo.endCursor).toBe(convoys.edges.at(-1)?.cursor ?? null);
      if (!convoys.pageInfo.hasNextPage) break;
      after = convoys.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(titles).toEqual(['convoy 4', 'convoy 3', 'convoy 2', 'convoy 1', 'convoy 0']);
  });

  it('given filters, when listing, then only matching convoys count', async () => {
    const web = await h.ok<ConvoysView>(town.token, CONVOYS, { rigId: rigs['web'] });
    expect(web.convoys.edges.map((e) => e.node.title)).toEqual(['convoy 4', 'convoy 2', 'convoy 0']);
    expect(web.convoys.totalCount).toBe(3);

    const staged = await h.ok<ConvoysView>(town.token, CONVOYS, { status: 'STAGED' });
    expect(staged.convoys.edges.map((e) => e.node.title)).toEqual(['convoy 4']);

    const both = await h.ok<ConvoysView>(town.token, CONVOYS, { status: 'ACTIVE', rigId: rigs['mobile'], first: 1 });
    expect(both.convoys).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: true } });
    expect(both.convoys.edges.map((e) => e.node.title)).toEqual(['convoy 3']);
  });

  it('given page sizes out of range or a foreign cursor, when listing, then BAD_USER_INPUT', async () => {
    expect(codesOf(await h.gql(town.token, CONVOYS, { first: 101 }))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await h.gql(town.token, CONVOYS, { first: -1 }))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await h.gql(town.token, CONVOYS, { after: 'bm9wZQ' }))).toEqual(['BAD_USER_INPUT']);
    const full = await h.ok<ConvoysView>(town.token, CONVOYS, { first: 100 });
    expect(full.convoys.edges).toHaveLength(5);
  });
});
