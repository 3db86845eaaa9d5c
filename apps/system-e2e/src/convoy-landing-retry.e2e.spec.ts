import { eventually, startHttpReceiver, type HttpReceiver } from '@gastown/testing';
import { SystemHarness } from '@gastown/system-testing';

interface Payload {
  event: string;
  convoy: { id: string; status: string; failureReason: string | null; landings: { rigId: string; commit: string }[] };
}

interface RigLanding {
  rigId: string;
  status: 'LANDED' | 'PENDING' | 'FAILED';
  commit: string | null;
  reason: string | null;
}

interface Landing {
  status: string;
  failureReason: string | null;
  featureBranches: { rigId: string; branch: string }[];
  landings: RigLanding[];
}

/** Only the landing's own fields: cheap to poll, whatever the convoy's beads cost. */
const LANDING_FIELDS = 'status failureReason featureBranches { rigId branch } landings { rigId status commit reason }';
const RETRY_LANDING = `mutation ($id: ID!) { retryLanding(convoyId: $id) { ${LANDING_FIELDS} } }`;

/**
 * Issue 11, case 5: a two-rig landing that fails on one rig because its main moved with a
 * conflicting change, finished by retryLanding once the change is reverted. One attempt per bead
 * and one per landing, so every failure is final at once and nothing here waits on a retry delay.
 */
describe('a multi-rig landing that fails half-way can be finished', () => {
  let system: SystemHarness;
  let receiver: HttpReceiver;

  beforeAll(async () => {
    [system, receiver] = await Promise.all([
      SystemHarness.start({ env: { CONVOY_MAX_ATTEMPTS: '1', CONVOY_MAX_LANDING_ATTEMPTS: '1' } }),
      startHttpReceiver(200),
    ]);
  });
  afterAll(async () => {
    await receiver?.close();
    await system?.close();
  });

  const payloads = () => receiver.requests.map((r) => JSON.parse(r.rawBody) as Payload);
  const landing = async (convoyId: string) =>
    (await system.gql<{ convoy: Landing }>(`query ($id: ID!) { convoy(id: $id) { ${LANDING_FIELDS} } }`, { id: convoyId })).convoy;
  const landingOf = (convoy: Landing, rigId: string) => convoy.landings.find((l) => l.rigId === rigId);

  it('given rig 2 main moved with a conflicting change, when the convoy lands, then it FAILS with nothing pushed anywhere, and retryLanding after a revert lands both rigs once', async () => {
    await system.gql('mutation ($input: AddWebhookInput!) { addWebhook(input: $input) { webhook { id } } }', {
      input: { url: receiver.url, events: ['CONVOY_FAILED', 'CONVOY_LANDED'] },
    });
    const api = system.origin();
    const web = system.origin();
    const apiRig = await system.registerRig('api', api.bare);
    const webRig = await system.registerRig('web', web.bare);
    const apiMain = api.read('rev-parse', 'origin/main');

    // The gate holds the web bead until the test has moved web's main: its first attempt fails
    // (the only one of its budget), and retryBead lets its second pass. The feature branches are
    // made while the convoy is active, so both start from the mains as they were before the move.
    const created = await system.slingBatch({
      title: 'Two rigs',
      defaultRigId: apiRig,
      tasks: [
        { title: 'gate', body: 'demo:fail-until 2' },
        { title: 'shared file', rigId: webRig, body: 'demo:edit shared.txt from the convoy', dependsOn: [0] },
      ],
    });
    const webBranch = (await landing(created.id)).featureBranches.find((b) => b.rigId === webRig)?.branch as string;
    const held = await system.until(created.id, ['FAILED']);
    const gate = held.beads.find((b) => b.title === 'gate');
    expect(gate).toMatchObject({ status: 'FAILED' });
    await eventually("web's feature branch on origin", async () => web.branches().includes(webBranch));

    // A user pushes a conflicting change to web's main elsewhere: the bead's merge into the feature
    // branch stays clean, the landing onto main cannot be.
    const conflicting = web.push('main', 'shared.txt from elsewhere', { 'shared.txt': 'from elsewhere\n' });
    await system.gql('mutation ($id: ID!) { retryBead(id: $id) { id } }', { id: gate?.id });

    const failed = await eventually(
      'the landing to fail',
      async () => {
        const convoy = await landing(created.id);
        return convoy.status === 'FAILED' && landingOf(convoy, webRig)?.status === 'FAILED' ? convoy : null;
      },
      { timeoutMs: 120_000, intervalMs: 100 },
    );
    expect((await system.convoy(created.id)).beads.map((b) => b.status)).toEqual(['CLOSED', 'CLOSED']);
    expect(failed.failureReason).toMatch(/landing failed on attempt 1 of 1/);
    // Every rig is prepared before any is pushed: the conflict on web left api untouched.
    expect(landingOf(failed, apiRig)).toEqual({ rigId: apiRig, status: 'PENDING', commit: null, reason: null });
    expect(landingOf(failed, webRig)).toMatchObject({ status: 'FAILED', commit: null, reason: expect.stringMatching(/conflict/i) });
    expect(api.read('rev-parse', 'origin/main')).toBe(apiMain);
    expect(web.read('rev-parse', 'origin/main')).toBe(conflicting);
    const failure = await eventually('the landing failure notified', async () =>
      payloads().find((p) => p.event === 'convoy.failed' && /landing failed/.test(p.convoy.failureReason ?? '')),
    );
    expect(failure.convoy.landings).toEqual([]);

    // The user reverts the change; retryLanding lands the rigs not landed, running no bead again.
    web.revert('main', conflicting);
    const { retryLanding } = await system.gql<{ retryLanding: { status: string } }>(RETRY_LANDING, { id: created.id });
    expect(['READY_TO_LAND', 'LANDING', 'LANDED']).toContain(retryLanding.status);
    expect((await system.until(created.id, ['LANDED', 'FAILED'])).status).toBe('LANDED');
    const landed = await landing(created.id);
    const apiLanding = landingOf(landed, apiRig);
    const webLanding = landingOf(landed, webRig);
    expect(apiLanding).toMatchObject({ status: 'LANDED', commit: expect.stringMatching(/^[0-9a-f]{40}$/), reason: null });
    expect(webLanding).toMatchObject({ status: 'LANDED', commit: expect.stringMatching(/^[0-9a-f]{40}$/), reason: null });
    for (const [repo, landing] of [
      [api, apiLanding],
      [web, webLanding],
    ] as const) {
      expect(repo.isAncestor(landing?.commit as string, 'origin/main')).toBe(true);
      // The landing is the only merge on the rig's main: it landed exactly once.
      expect(repo.read('rev-list', '--first-parent', '--merges', 'origin/main').split('\n')).toEqual([landing?.commit]);
    }
    expect(api.commitsAdding('main', `beads/${gate?.id.slice(0, 8)}.md`)).toHaveLength(1);
    expect(web.read('show', 'origin/main:shared.txt')).toBe('from the convoy');
    const events = await system.events(created.id);
    expect(events.filter((e) => e.type === 'RigLanded').map((e) => (e.data as { rigId: string }).rigId).sort()).toEqual([apiRig, webRig].sort());
    expect(events.filter((e) => e.type === 'BeadMerged')).toHaveLength(2);

    const notice = await eventually('the landing notified', async () => payloads().find((p) => p.event === 'convoy.landed'));
    expect(notice.convoy.landings).toEqual(
      expect.arrayContaining([
        { rigId: apiRig, commit: apiLanding?.commit },
        { rigId: webRig, commit: webLanding?.commit },
      ]),
    );
    expect(notice.convoy.landings).toHaveLength(2);
  });
});
