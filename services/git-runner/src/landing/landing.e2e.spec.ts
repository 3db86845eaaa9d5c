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
    const job = { kind: 'land' as const, ...scope, attempt: 1 };
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

    await fixture.publish(job, `${convoyId}:again`);

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
    expect(failed.data).toEqual({ attempt: 1, reason: `${idle.name}: the convoy changed nothing on ${idle.name}` });
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
});
