import { createHash } from 'node:crypto';
import { codesOf, GatewayHarness, type TestTown } from '../gateway.fixtures';

/**
 * Close means closed, as a GraphQL client sees it: a push the refinery or the landing was granted
 * before the close cannot be called back, so the close answer and the convoy name it until its
 * outcome is recorded, and nothing else of the convoy lands. The runners are played by commands
 * to the real convoy service, in the order they send them.
 */
const sha = (seed: string) => createHash('sha1').update(seed).digest('hex');

const BEAD_FIELDS = 'id title status mergeUnderWay';
const UNDER_WAY = `status mergesUnderWay { ${BEAD_FIELDS} } landingsUnderWay { rigId status commit } landings { rigId status commit } beads { ${BEAD_FIELDS} }`;
const CLOSE = `mutation ($id: ID!, $reason: String!) { closeConvoy(id: $id, reason: $reason) { ${UNDER_WAY} } }`;
const CONVOY = `query ($id: ID!) { convoy(id: $id) { ${UNDER_WAY} } }`;

interface BeadView {
  id: string;
  title: string;
  status: string;
  mergeUnderWay: boolean;
}
interface LandingView {
  rigId: string;
  status: string;
  commit: string | null;
}
interface ConvoyView {
  status: string;
  mergesUnderWay: BeadView[];
  landingsUnderWay: LandingView[];
  landings: LandingView[];
  beads: BeadView[];
}

describe('closing a convoy while its pushes are under way, over GraphQL', () => {
  let h: GatewayHarness;
  let town: TestTown;
  let rigId: string;

  beforeAll(async () => {
    h = await GatewayHarness.start();
    town = await h.createTown('close town');
    const { registerRig } = await h.ok<{ registerRig: { id: string } }>(
      town.token,
      `mutation ($input: RegisterRigInput!) { registerRig(input: $input) { id } }`,
      { input: { name: 'billing', gitUrl: 'https://git.example.com/acme/billing.git', defaultBranch: 'main' } },
    );
    rigId = registerRig.id;
  });
  afterAll(async () => {
    await h?.close();
  });

  const close = async (id: string) => (await h.ok<{ closeConvoy: ConvoyView }>(town.token, CLOSE, { id, reason: 'plan changed' })).closeConvoy;
  const read = async (id: string) => (await h.ok<{ convoy: ConvoyView }>(town.token, CONVOY, { id })).convoy;
  const runner = (convoyId: string, type: string, data: Record<string, unknown>) => h.convoyCommand(town.id, convoyId, { type, data });

  async function slung(titles: string[], mergeMode: 'REVIEW_AND_MERGE' | 'REVIEW_THEN_LAND'): Promise<{ id: string; beads: { id: string }[] }> {
    const input = { title: 'Close spec', defaultRigId: rigId, mergeMode, parallel: titles.length > 1, tasks: titles.map((title) => ({ title })) };
    const { slingBatch } = await h.ok<{ slingBatch: { id: string; beads: { id: string }[] } }>(
      town.token,
      `mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { id beads { id } } }`,
      { input },
    );
    return slingBatch;
  }

  /** Dispatched and submitted, as the dispatcher and an agent's runner report it. */
  async function inReview(convoyId: string, beadId: string): Promise<void> {
    await runner(convoyId, 'DispatchBead', { beadId, agent: { id: `agent-${beadId}`, name: 'furiosa' } });
    const { bead } = await h.ok<{ bead: { branch: string } }>(town.token, `query ($id: ID!) { bead(id: $id) { branch } }`, { id: beadId });
    await runner(convoyId, 'SubmitBead', { beadId, attempt: 1, branch: bead.branch, headCommit: sha(`head ${beadId}`) });
  }

  const claimMerge = (convoyId: string, beadId: string) => runner(convoyId, 'ClaimMergePush', { beadId, attempt: 1, mergeCommit: sha(`merge ${beadId}`) });

  it('given one bead whose merge push was granted and one only in review, when the convoy is closed, then the answer names the granted merge, which lands later while the other never does', async () => {
    const convoy = await slung(['Granted change', 'Reviewed change'], 'REVIEW_AND_MERGE');
    const [granted, reviewed] = convoy.beads.map((b) => b.id);
    await inReview(convoy.id, granted);
    await inReview(convoy.id, reviewed);
    await claimMerge(convoy.id, granted);

    const before = await read(convoy.id);
    expect(before.beads.map((b) => [b.title, b.status, b.mergeUnderWay])).toEqual([
      ['Granted change', 'IN_REVIEW', true],
      ['Reviewed change', 'IN_REVIEW', false],
    ]);
    expect(before.mergesUnderWay).toEqual([]);

    const closed = await close(convoy.id);
    expect(closed.status).toBe('CANCELLED');
    expect(closed.mergesUnderWay).toEqual([{ id: granted, title: 'Granted change', status: 'IN_REVIEW', mergeUnderWay: true }]);
    expect(closed.beads.map((b) => [b.title, b.status])).toEqual([
      ['Granted change', 'IN_REVIEW'],
      ['Reviewed change', 'CANCELLED'],
    ]);
    expect((await read(convoy.id)).mergesUnderWay.map((b) => b.id)).toEqual([granted]);

    await runner(convoy.id, 'RecordBeadMerged', { beadId: granted, attempt: 1, mergeCommit: sha(`merge ${granted}`) });
    const after = await read(convoy.id);
    expect(after.beads.map((b) => [b.title, b.status, b.mergeUnderWay])).toEqual([
      ['Granted change', 'CLOSED', false],
      ['Reviewed change', 'CANCELLED', false],
    ]);
    expect(after.mergesUnderWay).toEqual([]);
    // Closing again still answers what the close found under way, now recorded merged.
    expect((await close(convoy.id)).mergesUnderWay).toEqual([{ id: granted, title: 'Granted change', status: 'CLOSED', mergeUnderWay: false }]);
  });

  it('given nothing granted, when the convoy is closed, then nothing is under way and no bead is merged', async () => {
    const convoy = await slung(['Only reviewed'], 'REVIEW_AND_MERGE');
    await inReview(convoy.id, convoy.beads[0].id);

    const closed = await close(convoy.id);

    expect(closed).toMatchObject({ status: 'CANCELLED', mergesUnderWay: [], landingsUnderWay: [] });
    expect(closed.beads.map((b) => b.status)).toEqual(['CANCELLED']);
    await expect(runner(convoy.id, 'RecordBeadMerged', { beadId: convoy.beads[0].id, attempt: 1, mergeCommit: sha('late') })).rejects.toThrow(/CONFLICT/);
  });

  it('given a landing whose push was granted, when the convoy is closed, then the answer names the rig PUSHING, which reads LANDED once its landing is recorded', async () => {
    const convoy = await slung(['Landed change'], 'REVIEW_THEN_LAND');
    const beadId = convoy.beads[0].id;
    await inReview(convoy.id, beadId);
    await claimMerge(convoy.id, beadId);
    await runner(convoy.id, 'RecordBeadMerged', { beadId, attempt: 1, mergeCommit: sha(`merge ${beadId}`) });
    await runner(convoy.id, 'StartLanding', {});
    await runner(convoy.id, 'RecordRigLandingPrepared', { rigId, attempt: 1, targetTip: sha('main tip'), tree: sha('tree') });
    await runner(convoy.id, 'ClaimLandingPush', { rigId, attempt: 1, commit: sha('landing') });
    expect((await read(convoy.id)).landings).toEqual([{ rigId, status: 'PUSHING', commit: null }]);

    const closed = await close(convoy.id);
    expect(closed).toMatchObject({ status: 'CANCELLED', mergesUnderWay: [], landingsUnderWay: [{ rigId, status: 'PUSHING', commit: null }] });

    await runner(convoy.id, 'RecordRigLanded', { rigId, attempt: 1, commit: sha('landing') });
    const after = await read(convoy.id);
    expect(after).toMatchObject({ status: 'CANCELLED', landingsUnderWay: [], landings: [{ rigId, status: 'LANDED', commit: sha('landing') }] });
  });

  it('given a convoy of another town, when its merges under way are asked for, then it is NOT_FOUND like the rest of it', async () => {
    const convoy = await slung(['Private change'], 'REVIEW_AND_MERGE');
    await inReview(convoy.id, convoy.beads[0].id);
    await claimMerge(convoy.id, convoy.beads[0].id);
    await close(convoy.id);
    const stranger = await h.createTown('stranger town');

    const answer = await h.gql(stranger.token, `query ($id: ID!) { convoy(id: $id) { mergesUnderWay { id } } }`, { id: convoy.id });

    expect(codesOf(answer)).toEqual(['NOT_FOUND']);
  });
});
