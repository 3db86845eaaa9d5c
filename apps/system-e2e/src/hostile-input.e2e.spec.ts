import { randomUUID } from 'node:crypto';
import { EventStore } from '@gastown/bus';
import { beadIdFor } from '@gastown/contracts';
import { eventually, legacyConvoyCommit } from '@gastown/testing';
import { SystemHarness } from '@gastown/system-testing';

type GqlError = NonNullable<Awaited<ReturnType<SystemHarness['gqlRaw']>>['errors']>[number];

/** Small enough that a test plan crosses it quickly; the default is 8 MiB. */
const MAX_PLAN_BYTES = 64 * 1024;
/** Town limits small enough to reach in a few calls (defaults: 100 rigs, 10 webhooks, 100,000 edges). */
const LIMITS = { GASTOWN_MAX_RIGS_PER_TOWN: '3', GASTOWN_MAX_WEBHOOKS_PER_TOWN: '1', CONVOY_MAX_EDGES: '4' };

describe('a tenant sending hostile text', () => {
  let system: SystemHarness;
  let rigId: string;

  beforeAll(async () => {
    system = await SystemHarness.start({ env: { CONVOY_MAX_PLAN_BYTES: String(MAX_PLAN_BYTES), ...LIMITS } });
    rigId = await system.registerRig('web', system.origin().bare);
  });
  afterAll(async () => {
    await system?.close();
  });

  const convoyIds = async () =>
    (await system.gql<{ convoys: { edges: { node: { id: string } }[] } }>('{ convoys(first: 100) { edges { node { id } } } }')).convoys.edges.map(
      (e) => e.node.id,
    );
  const rigNames = async () => (await system.gql<{ rigs: { name: string }[] }>('{ rigs { name } }')).rigs.map((r) => r.name);

  /** The one error of a refused mutation, asserting that it is BAD_USER_INPUT. */
  async function refused(query: string, variables: Record<string, unknown>): Promise<GqlError> {
    const answer = await system.gqlRaw(query, variables);
    expect(answer.errors).toHaveLength(1);
    const [error] = answer.errors ?? [];
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    return error;
  }

  const sling = (input: Record<string, unknown>) =>
    refused('mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { id } }', { input: { defaultRigId: rigId, parallel: true, ...input } });

  it('given a NUL in a rig name, when registered, then it is BAD_USER_INPUT naming U+0000 and the town still registers a proper rig afterwards', async () => {
    const repo = system.origin();
    const error = await refused('mutation ($input: RegisterRigInput!) { registerRig(input: $input) { id } }', {
      input: { name: 'ap\u0000i', gitUrl: repo.bare, defaultBranch: 'main' },
    });
    expect(error.message).toContain('name contains a control character U+0000 at position 2');
    expect(await rigNames()).toEqual(['web']);

    await system.registerRig('api', repo.bare);
    await eventually('the proper rig listed', async () => (await rigNames()).includes('api'));
    expect(await rigNames()).toEqual(['api', 'web']);
  });

  it.each([
    ['a NUL', 'Te\u0000st', 'a control character U+0000 at position 2'],
    ['a right-to-left override', 'abc\u202Etxt', 'a bidirectional control character U+202E at position 3'],
    ['a zero-width space', 'ad\u200Bmin', 'an invisible format character U+200B at position 2'],
    ['a newline', 'Fix\nSigned-off-by: Mallory <m@evil.example>', 'a line break U+000A at position 3'],
  ])('given %s in a task title, when slung, then it is BAD_USER_INPUT naming the task and nothing is written', async (_, title, what) => {
    const before = await convoyIds();
    const error = await sling({ title: 'Hostile', tasks: [{ title: 'fine' }, { title }] });
    expect(error.message).toContain(`task 1 (`);
    expect(error.message).toContain(`tasks[1].title contains ${what}`);
    expect(await convoyIds()).toEqual(before);
  });

  it('given a plan over the byte limit, when slung, then it is BAD_USER_INPUT naming its size and the limit and nothing is written', async () => {
    const before = await convoyIds();
    const tasks = Array.from({ length: 20 }, (_, i) => ({ title: `task ${i}`, body: 'x'.repeat(4_000) }));
    const error = await sling({ title: 'Too large', tasks });
    expect(error.message).toMatch(new RegExp(`^the plan encodes to \\d{5,} bytes, over the limit of ${MAX_PLAN_BYTES} bytes per decision`));
    expect(await convoyIds()).toEqual(before);
  });

  /** The one error of a refused mutation, asserting that it is CONFLICT: the town is full, the input is fine. */
  async function full(query: string, variables: Record<string, unknown>): Promise<GqlError> {
    const answer = await system.gqlRaw(query, variables);
    expect(answer.errors).toHaveLength(1);
    const [error] = answer.errors ?? [];
    expect(error.extensions?.code).toBe('CONFLICT');
    return error;
  }

  it('given a town at its rig limit, when one more rig is registered, then it is refused naming the count and the limit, and nothing is registered', async () => {
    for (let n = (await rigNames()).length; n < 3; n++) await system.registerRig(`filler-${n}`, system.origin().bare);
    const before = await rigNames();

    const error = await full('mutation ($input: RegisterRigInput!) { registerRig(input: $input) { id } }', {
      input: { name: 'one-too-many', gitUrl: system.origin().bare, defaultBranch: 'main' },
    });
    expect(error.message).toBe(`town ${system.townId} already has 3 rigs (limit 3): ask the operator to raise GASTOWN_MAX_RIGS_PER_TOWN`);
    expect(error.extensions).toMatchObject({ count: 3, limit: 3 });
    expect(await rigNames()).toEqual(before);
  });

  it('given a town at its webhook limit, when one more webhook is added, then it is refused naming the count and the limit, and nothing is added', async () => {
    const add = 'mutation ($input: AddWebhookInput!) { addWebhook(input: $input) { webhook { id } } }';
    await system.gql(add, { input: { url: 'http://127.0.0.1:9/first', events: ['CONVOY_LANDED'] } });

    const error = await full(add, { input: { url: 'http://127.0.0.1:9/second', events: ['CONVOY_LANDED'] } });
    expect(error.message).toBe(`town ${system.townId} already has 1 webhook (limit 1): remove one before adding another`);
    expect((await system.gql<{ webhooks: { url: string }[] }>('{ webhooks { url } }')).webhooks).toEqual([{ url: 'http://127.0.0.1:9/first' }]);
  });

  it('given a plan with more dependency edges than the limit, when slung, then it is BAD_USER_INPUT naming the count and the limit and nothing is written', async () => {
    const before = await convoyIds();
    const error = await sling({ title: 'Dense', tasks: [{ title: 'A' }, { title: 'B', dependsOn: [0] }, { title: 'C', dependsOn: [0, 1] }, { title: 'D', dependsOn: [0, 1, 2] }] });
    expect(error.message).toBe('tasks: 6 dependencies (dependsOn entries) exceed the limit of 4 per convoy');
    expect(await convoyIds()).toEqual(before);
  });

  it('given a convoy at the edge limit, when one more dependency is added, then it is refused naming the count and the limit and its edges are unchanged', async () => {
    const diamond = [{ title: 'A' }, { title: 'B', dependsOn: [0] }, { title: 'C', dependsOn: [0] }, { title: 'D', dependsOn: [1, 2] }];
    const convoy = await system.slingBatch({ title: 'At the limit', defaultRigId: rigId, staged: true, tasks: diamond });
    const edgesOf = async () =>
      (await system.gql<{ convoy: { beads: { id: string }[]; dependencyEdges: unknown[] } }>('query ($id: ID!) { convoy(id: $id) { beads { id } dependencyEdges { beadId dependsOnBeadId } } }', { id: convoy.id })).convoy;
    const { beads, dependencyEdges } = await edgesOf();

    const error = await full('mutation ($b: ID!, $on: ID!) { addDependency(beadId: $b, dependsOnBeadId: $on) { id } }', { b: beads[3].id, on: beads[0].id });
    expect(error.message).toBe('convoy "At the limit" already has 4 dependencies (limit 4): remove one before adding another');
    expect((await edgesOf()).dependencyEdges).toEqual(dependencyEdges);
  });

  it('given a convoy stored before the text rules with a NUL in its titles, when the town reads and closes it, then it answers with U+FFFD instead of NOT_FOUND', async () => {
    const convoyId = randomUUID();
    const beadId = beadIdFor(convoyId, 0);
    const old = legacyConvoyCommit(system.townId, convoyId, [
      {
        type: 'ConvoyCreated',
        data: {
          title: 'Old\u0000convoy',
          slug: 'old-convoy',
          mergeMode: 'REVIEW_AND_MERGE',
          staged: true,
          parallel: false,
          defaultRigId: rigId,
          maxAttempts: 3,
          maxLandingAttempts: 3,
          featureBranches: [],
        },
      },
      { type: 'BeadCreated', data: { beadId, index: 0, title: 'Te\u0000st', body: '', rigId, dependsOn: [] } },
    ]);
    // Straight onto the stream, as a convoy service without the text rules wrote it.
    await new EventStore(system.bus).append(system.bus.names.convoyEvents(system.townId, convoyId), { commitId: old.commandId, expectedSeq: 0, events: old.events });

    const read = await eventually('the old convoy readable', async () => {
      const answer = await system.gqlRaw<{ convoy: { title: string; beads: { title: string }[] } }>(
        'query ($id: ID!) { convoy(id: $id) { title beads { title } } }',
        { id: convoyId },
      );
      return answer.data?.convoy;
    });
    expect(read).toEqual({ title: 'Old\uFFFDconvoy', beads: [{ title: 'Te\uFFFDst' }] });

    const { closeConvoy } = await system.gql<{ closeConvoy: { status: string } }>(
      'mutation ($id: ID!) { closeConvoy(id: $id, reason: "cleaning up") { status } }',
      { id: convoyId },
    );
    expect(closeConvoy.status).toBe('CANCELLED');
  });
});
