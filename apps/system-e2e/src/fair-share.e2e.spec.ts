import { tmpdir } from 'node:os';
import { EventStore } from '@gastown/bus';
import { eventually } from '@gastown/testing';
import { SystemHarness } from '@gastown/system-testing';

/** Long enough that none of B's agents can end while A's convoy is watched. */
const SLEEP_S = 150;

describe('fair share of agent slots between towns', () => {
  let system: SystemHarness;

  beforeAll(async () => {
    system = await SystemHarness.start({
      env: {
        GASTOWN_AGENT_PROFILES_JSON: JSON.stringify({ sleep: { command: ['sleep', String(SLEEP_S)] } }),
        GIT_RUNNER_MAX_AGENTS: '4',
        DISPATCHER_AGENT_SLOTS: '4',
        DISPATCHER_MAX_AGENTS_PER_TOWN: '3',
        GASTOWN_LOCAL_REPO_ROOTS: tmpdir(),
      },
    });
  });
  afterAll(async () => {
    await system?.close();
  });

  it("given town B's long agents filling its share of the slots, when town A slings one bead, then A's agent starts at once while all of B's still run", async () => {
    const b = await system.addTown('neighbour');
    const { registerRig } = await b.gql<{ registerRig: { id: string } }>(
      'mutation ($input: RegisterRigInput!) { registerRig(input: $input) { id } }',
      { input: { name: 'sleepers', gitUrl: system.origin().bare, defaultBranch: 'main', config: { maxPolecats: 6, agent: { kind: 'PROFILE', profile: 'sleep' } } } },
    );
    const { slingBatch: theirs } = await b.gql<{ slingBatch: { id: string } }>(
      'mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { id } }',
      { input: { title: 'Six long agents', defaultRigId: registerRig.id, parallel: true, tasks: Array.from({ length: 6 }, (_, i) => ({ title: `sleep ${i}` })) } },
    );
    const startedIn = async (townId: string, convoyId: string) =>
      (await new EventStore(system.bus).readSubject(system.bus.names.convoyEvents(townId, convoyId)))
        .flatMap((c) => c.events)
        .filter((e) => e.type === 'BeadStarted').length;
    await eventually("B's agents to fill its share", async () => ((await startedIn(b.townId, theirs.id)) === 3 ? true : null), { timeoutMs: 90_000 });

    const rigId = await system.registerRig('mine', system.origin().bare);
    const slungAt = Date.now();
    const mine = await system.slingBatch({ title: 'One bead', defaultRigId: rigId, tasks: [{ title: 'quick' }] });
    await eventually("A's agent to start", async () => ((await startedIn(system.townId, mine.id)) === 1 ? true : null), { timeoutMs: 60_000 });
    const waitedMs = Date.now() - slungAt;

    // Had A queued behind B, it would have waited for one of B's agents to end, SLEEP_S seconds.
    expect(waitedMs).toBeLessThan((SLEEP_S / 3) * 1000);
    const { convoy } = await b.gql<{ convoy: { progress: { inProgress: number; open: number } } }>(
      'query ($id: ID!) { convoy(id: $id) { progress { inProgress open } } }',
      { id: theirs.id },
    );
    expect(convoy.progress).toEqual({ inProgress: 3, open: 3 });
    expect(await startedIn(b.townId, theirs.id)).toBe(3);
  });
});
