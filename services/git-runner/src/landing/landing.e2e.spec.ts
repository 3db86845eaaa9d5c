import type { RigConfigInput } from '@gastown/contracts';
import { eventually } from '@gastown/testing';
import { beadFilePath } from '../agent/demo.agent';
import { RunnerFixture, type TestRig } from '../testing/runner.fixture';

describe('landing: land jobs in a running git-runner', () => {
  let fixture: RunnerFixture;

  beforeAll(async () => {
    fixture = await RunnerFixture.start();
    await fixture.startRunner('runner-a');
  });

  afterAll(async () => {
    await fixture?.close();
  });

  /**
   * A one-bead review-then-land convoy taken through the runner as the dispatcher would: branch
   * job, dispatch, agent job (the demo agent, or `branchFiles` committed by hand), merge job,
   * then StartLanding. Returns once the landing attempt is under way.
   */
  async function convoyReadyToLand(rig: TestRig, title: string, branchFiles?: Record<string, string>) {
    const { convoyId, beadIds } = await fixture.sling(rig, [{ title: 'The work' }], { title });
    const scope = { townId: fixture.townId, convoyId, rigId: rig.rigId };
    const feature = await fixture.featureBranch(convoyId, rig.rigId);
    await fixture.publish({ kind: 'branch', ...scope, branch: feature });
    await eventually('the feature branch on origin', async () => rig.origin.tip(feature));
    const bead = await fixture.dispatch(convoyId, beadIds[0]);
    if (branchFiles) {
      let head = rig.origin.tip(feature) ?? '';
      // No files: the bead's branch is the feature tip itself, a bead that changed nothing.
      if (Object.keys(branchFiles).length === 0) rig.origin.git(['branch', bead.branch, head], rig.origin.url);
      else head = rig.origin.commit(bead.branch, branchFiles, { from: feature });
      await fixture.command('SubmitBead', convoyId, { beadId: bead.beadId, attempt: 1, branch: bead.branch, headCommit: head });
    } else {
      await fixture.publish({ kind: 'agent', ...scope, beadId: bead.beadId, attempt: 1 });
      await fixture.waitForEvent(convoyId, 'BeadSubmitted');
    }
    await fixture.publish({ kind: 'merge', ...scope, beadId: bead.beadId, attempt: 1 });
    await fixture.waitForEvent(convoyId, 'ConvoyReadyToLand');
    await fixture.command('StartLanding', convoyId, {});
    const job = { kind: 'land' as const, ...scope, attempt: 1, phase: 'prepare' as const };
    return { convoyId, feature, bead, job };
  }

  async function rig(config: RigConfigInput = {}): Promise<TestRig> {
    return fixture.registerRig(config);
  }

  it('given a convoy whose bead was merged, when its land job runs, then main holds the landing merge and the convoy is LANDED; a second delivery changes nothing', async () => {
    const web = await rig();
    const mainBefore = web.origin.tip('main');
    const { convoyId, feature, bead, job } = await convoyReadyToLand(web, 'Login page');

    await fixture.publish(job);
    await fixture.waitForEvent(convoyId, 'ConvoyLandingPrepared');
    expect(web.origin.tip('main')).toBe(mainBefore);
    const push = { ...job, phase: 'push' as const };
    await fixture.publish(push);

    const landed = await fixture.waitForEvent(convoyId, 'ConvoyLanded');
    const rigLanded = await fixture.waitForEvent(convoyId, 'RigLanded');
    const commit = rigLanded.data.commit;
    expect(rigLanded.data).toEqual({ rigId: web.rigId, commit, targetBranch: 'main' });
    expect(landed.data.landings).toEqual([{ rigId: web.rigId, commit }]);
    expect(web.origin.tip('main')).toBe(commit);
    expect(web.origin.git(['rev-list', '--parents', '-n', '1', commit], web.origin.url).split(' ').slice(1)).toEqual([mainBefore, web.origin.tip(feature)]);
    expect(web.origin.git(['log', '-1', '--format=%s', commit], web.origin.url)).toBe('Land convoy "Login page"');
    expect(web.origin.git(['ls-tree', '--name-only', '-r', 'main'], web.origin.url)).toContain(beadFilePath(bead.beadId));
    await eventually('the job to be acknowledged', async () => (await fixture.pendingJobs()) === 0);
    const eventCount = (await fixture.events(convoyId)).length;

    await fixture.publish(push, `${convoyId}:again`);

    await eventually('the second delivery to be acknowledged', async () => (await fixture.pendingJobs()) === 0);
    expect(await fixture.events(convoyId)).toHaveLength(eventCount);
    expect(web.origin.tip('main')).toBe(commit);
  });

  it('given a convoy that changed nothing, when it lands, then the landing fails and it is never reported landed', async () => {
    const idle = await rig({ allowEmptyBeads: true });
    const mainBefore = idle.origin.tip('main');
    const { convoyId, job } = await convoyReadyToLand(idle, 'Nothing at all', {});

    await fixture.publish(job);

    const failed = await fixture.waitForEvent(convoyId, 'ConvoyLandingFailed');
    expect(failed.data).toEqual({ attempt: 1, reason: `${idle.name}: the convoy changed nothing on ${idle.name}`, rigId: idle.rigId });
    expect((await fixture.events(convoyId)).map((e) => e.type)).not.toContain('RigLanded');
    expect(idle.origin.tip('main')).toBe(mainBefore);
  });

  it('given main changed the same lines meanwhile, when the convoy lands, then the landing fails naming the file', async () => {
    const web = await rig();
    const { convoyId, job } = await convoyReadyToLand(web, 'Edits shared', { 'shared.txt': 'one\nCONVOY\nthree\n' });
    const theirs = web.origin.commit('main', { 'shared.txt': 'one\nSOMEONE ELSE\nthree\n' });

    await fixture.publish(job);

    const failed = await fixture.waitForEvent(convoyId, 'ConvoyLandingFailed');
    expect(failed.data.reason).toBe(`${web.name}: landing on main conflicts in: shared.txt`);
    expect(web.origin.tip('main')).toBe(theirs);
  });

  it('given a check that fails only on main plus the convoy, when the convoy lands, then the landing fails with the check output', async () => {
    const check = ['node', '-e', "const fs = require('fs'); if (fs.existsSync('late.txt') && fs.existsSync('early.txt')) { console.error('early and late clash'); process.exit(4) }"];
    const web = await rig({ checks: [{ name: 'no-clash', command: check }] });
    const { convoyId, job } = await convoyReadyToLand(web, 'Early', { 'early.txt': 'e\n' });
    const theirs = web.origin.commit('main', { 'late.txt': 'l\n' });

    await fixture.publish(job);

    const failed = await fixture.waitForEvent(convoyId, 'ConvoyLandingFailed');
    expect(failed.data.reason).toBe(`${web.name}: check "no-clash" failed (exit 4):\nearly and late clash`);
    expect(web.origin.tip('main')).toBe(theirs);
  });

  describe('a convoy on two rigs', () => {
    const ORIGINAL = 'one\ntwo\nthree\n';

    /** Both beads merged into their rig's feature branch, each changing shared.txt; the landing attempt 1 started. */
    async function twoRigConvoy(title: string) {
      const [api, web] = [await rig(), await rig()];
      const { convoyId, beadIds } = await fixture.sling(api, [{ title: 'API', rigId: api.rigId }, { title: 'Web', rigId: web.rigId }], { title, parallel: true });
      for (const [index, r] of [api, web].entries()) {
        const scope = { townId: fixture.townId, convoyId, rigId: r.rigId };
        const feature = await fixture.featureBranch(convoyId, r.rigId);
        await fixture.publish({ kind: 'branch', ...scope, branch: feature });
        await eventually('the feature branch on origin', async () => r.origin.tip(feature));
        const bead = await fixture.dispatch(convoyId, beadIds[index], `polecat-${index}`);
        const head = r.origin.commit(bead.branch, { 'shared.txt': `one\n${title} on ${r.name}\nthree\n` }, { from: feature });
        await fixture.command('SubmitBead', convoyId, { beadId: bead.beadId, attempt: 1, branch: bead.branch, headCommit: head });
        await fixture.publish({ kind: 'merge', ...scope, beadId: bead.beadId, attempt: 1 });
        await fixture.waitForEvent(convoyId, 'BeadMerged', (e) => e.data.beadId === bead.beadId);
      }
      await fixture.waitForEvent(convoyId, 'ConvoyReadyToLand');
      return { convoyId, api, web };
    }

    const land = (convoyId: string, r: TestRig, attempt: number, phase: 'prepare' | 'push') =>
      fixture.publish({ kind: 'land', townId: fixture.townId, convoyId, rigId: r.rigId, attempt, phase });
    const landings = (r: TestRig, title: string) =>
      r.origin.git(['log', '--first-parent', '--format=%s', 'main'], r.origin.url).split('\n').filter((s) => s === `Land convoy "${title}"`).length;

    it("given the second rig's main moved with a conflicting change, when the convoy lands, then no rig is pushed, the failure names the rig, and once main is fixed retryLanding lands both exactly once", async () => {
      const { convoyId, api, web } = await twoRigConvoy('Both sides');
      const apiBefore = api.origin.tip('main');
      web.origin.commit('main', { 'shared.txt': 'one\nSOMEONE ELSE\nthree\n' });

      for (const attempt of [1, 2, 3]) {
        await fixture.command('StartLanding', convoyId, {});
        await land(convoyId, api, attempt, 'prepare');
        await land(convoyId, web, attempt, 'prepare');
        const failed = await fixture.waitForEvent(convoyId, 'ConvoyLandingFailed', (e) => e.data.attempt === attempt);
        expect(failed.data).toEqual({ attempt, reason: `${web.name}: landing on main conflicts in: shared.txt`, rigId: web.rigId });
      }
      await fixture.waitForEvent(convoyId, 'ConvoyFailed');
      await eventually('every job acknowledged', async () => (await fixture.pendingJobs()) === 0);
      expect(api.origin.tip('main')).toBe(apiBefore);
      expect((await fixture.events(convoyId)).map((e) => e.type)).not.toContain('RigLanded');

      web.origin.commit('main', { 'shared.txt': ORIGINAL }, { message: 'Revert the conflicting change' });
      await fixture.command('RetryLanding', convoyId, {});
      await fixture.command('StartLanding', convoyId, {});
      await land(convoyId, api, 4, 'prepare');
      await land(convoyId, web, 4, 'prepare');
      await fixture.waitForEvent(convoyId, 'ConvoyLandingPrepared', (e) => e.data.attempt === 4);
      await land(convoyId, api, 4, 'push');
      await fixture.waitForEvent(convoyId, 'RigLanded', (e) => e.data.rigId === api.rigId);
      await land(convoyId, web, 4, 'push');

      const landed = await fixture.waitForEvent(convoyId, 'ConvoyLanded');
      expect(landed.data.landings.map((l) => l.rigId)).toEqual([api.rigId, web.rigId]);
      expect([landings(api, 'Both sides'), landings(web, 'Both sides')]).toEqual([1, 1]);
    });

    it("given every rig prepared and the first pushed, when the second rig's main moves before its push, then that rig fails unpushed, the first stays landed, and the next attempt prepares and lands only the rest", async () => {
      const { convoyId, api, web } = await twoRigConvoy('Racing');
      await fixture.command('StartLanding', convoyId, {});
      await land(convoyId, api, 1, 'prepare');
      await land(convoyId, web, 1, 'prepare');
      await fixture.waitForEvent(convoyId, 'ConvoyLandingPrepared');
      await land(convoyId, api, 1, 'push');
      const apiLanded = await fixture.waitForEvent(convoyId, 'RigLanded', (e) => e.data.rigId === api.rigId);
      const moved = web.origin.commit('main', { 'other.txt': 'unrelated\n' });

      await land(convoyId, web, 1, 'push');

      const failed = await fixture.waitForEvent(convoyId, 'ConvoyLandingFailed');
      expect(failed.data.rigId).toBe(web.rigId);
      expect(failed.data.reason).toMatch(new RegExp(`^${web.name}: main moved since the landing was prepared .*; it was not pushed$`));
      expect(web.origin.tip('main')).toBe(moved);
      expect(api.origin.tip('main')).toBe(apiLanded.data.commit);

      await fixture.command('StartLanding', convoyId, {});
      await land(convoyId, web, 2, 'prepare');
      await fixture.waitForEvent(convoyId, 'ConvoyLandingPrepared', (e) => e.data.attempt === 2);
      await land(convoyId, web, 2, 'push');

      const landed = await fixture.waitForEvent(convoyId, 'ConvoyLanded');
      expect(landed.data.landings).toEqual([
        { rigId: api.rigId, commit: apiLanded.data.commit },
        { rigId: web.rigId, commit: web.origin.tip('main') },
      ]);
      expect([landings(api, 'Racing'), landings(web, 'Racing')]).toEqual([1, 1]);
    });
  });
});
