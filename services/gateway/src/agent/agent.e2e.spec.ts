import { codesOf, GatewayHarness, type TestTown } from '../gateway.fixtures';

const AGENT_FIELDS = 'id name rigId status currentBead { id title } lastHeartbeatAt lastSeenAt attemptsTotal';
const AGENTS = `query ($rigId: ID) { agents(rigId: $rigId) { ${AGENT_FIELDS} } }`;

interface AgentView {
  id: string;
  name: string;
  rigId: string;
  status: string;
  currentBead: { id: string; title: string } | null;
  lastHeartbeatAt: string | null;
  lastSeenAt: string;
  attemptsTotal: number;
}

describe('agents', () => {
  let h: GatewayHarness;
  let town: TestTown;

  beforeAll(async () => {
    h = await GatewayHarness.start();
    town = await h.createTown('agent town');
  });
  afterAll(async () => {
    await h?.close();
  });

  async function registerRig(owner: TestTown, name: string): Promise<string> {
    const { registerRig } = await h.ok<{ registerRig: { id: string } }>(
      owner.token,
      `mutation ($input: RegisterRigInput!) { registerRig(input: $input) { id } }`,
      { input: { name, gitUrl: `/srv/git/${name}.git`, defaultBranch: 'main' } },
    );
    return registerRig.id;
  }

  async function sling(rigId: string, titles: string[]): Promise<{ convoyId: string; beadIds: string[] }> {
    const { slingBatch } = await h.ok<{ slingBatch: { id: string; beads: { id: string }[] } }>(
      town.token,
      `mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { id beads { id } } }`,
      { input: { title: 'Agents at work', defaultRigId: rigId, parallel: true, tasks: titles.map((title) => ({ title })) } },
    );
    return { convoyId: slingBatch.id, beadIds: slingBatch.beads.map((b) => b.id) };
  }

  const agents = async (rigId?: string) => (await h.ok<{ agents: AgentView[] }>(town.token, AGENTS, { rigId })).agents;

  it('given a polecat dispatched to a bead, when its runner heartbeats and it submits, then it goes from WORKING with a heartbeat to IDLE', async () => {
    const rigId = await registerRig(town, 'api');
    const { convoyId, beadIds } = await sling(rigId, ['Schema', 'Endpoint']);
    const nux = { id: `${rigId.slice(0, 8)}-nux`, name: 'Nux' };
    const ace = { id: `${rigId.slice(0, 8)}-ace`, name: 'Ace' };

    await h.convoyCommand(town.id, convoyId, { type: 'DispatchBead', data: { beadId: beadIds[0], agent: nux } });
    // No runner has claimed the attempt yet: WORKING, but no heartbeat to show.
    expect(await agents(rigId)).toEqual([
      expect.objectContaining({ id: nux.id, name: 'Nux', rigId, status: 'WORKING', currentBead: { id: beadIds[0], title: 'Schema' }, lastHeartbeatAt: null, attemptsTotal: 1 }),
    ]);

    const aliveAt = Date.parse('2026-11-25T09:00:05.000Z');
    await h.writeAttemptClaim(beadIds[0], 1, { runnerId: 'runner-1', state: 'running', aliveAt, staleAfterMs: 30_000 });
    const [working] = await agents(rigId);
    expect(working).toMatchObject({ status: 'WORKING', lastHeartbeatAt: '2026-11-25T09:00:05.000Z' });

    await h.convoyCommand(town.id, convoyId, { type: 'DispatchBead', data: { beadId: beadIds[1], agent: ace } });
    const { bead } = await h.ok<{ bead: { branch: string } }>(town.token, `query ($id: ID!) { bead(id: $id) { branch } }`, { id: beadIds[0] });
    await h.convoyCommand(town.id, convoyId, {
      type: 'SubmitBead',
      data: { beadId: beadIds[0], attempt: 1, branch: bead.branch, headCommit: 'a'.repeat(40) },
    });

    const after = await agents(rigId);
    // Working first, then by name: Ace is still at work, Nux is free for the next bead.
    expect(after.map((a) => [a.name, a.status])).toEqual([
      ['Ace', 'WORKING'],
      ['Nux', 'IDLE'],
    ]);
    expect(after[1]).toMatchObject({ currentBead: null, lastHeartbeatAt: null, attemptsTotal: 1 });
    expect(Date.parse(after[1].lastSeenAt)).toBeGreaterThanOrEqual(Date.parse(working.lastSeenAt));

    const { rig } = await h.ok<{ rig: { agents: { name: string; status: string }[] } }>(
      town.token,
      `query ($id: ID!) { rig(id: $id) { agents { name status } } }`,
      { id: rigId },
    );
    expect(rig.agents).toEqual([
      { name: 'Ace', status: 'WORKING' },
      { name: 'Nux', status: 'IDLE' },
    ]);
  });

  it('given agents on two rigs, when listed without a rig, then every agent of the town comes, and another town sees none of them', async () => {
    const [web, docs] = [await registerRig(town, 'web'), await registerRig(town, 'docs')];
    for (const rigId of [web, docs]) {
      const { convoyId, beadIds } = await sling(rigId, ['Page']);
      await h.convoyCommand(town.id, convoyId, { type: 'DispatchBead', data: { beadId: beadIds[0], agent: { id: `${rigId.slice(0, 8)}-toast`, name: 'Toast' } } });
    }
    const all = await agents();
    expect(all.filter((a) => a.name === 'Toast').map((a) => a.rigId).sort()).toEqual([web, docs].sort());

    const stranger = await h.createTown('stranger town');
    expect((await h.ok<{ agents: AgentView[] }>(stranger.token, AGENTS, {})).agents).toEqual([]);
    expect(codesOf(await h.gql(stranger.token, AGENTS, { rigId: web }))).toEqual(['NOT_FOUND']);
  });
});
