import { randomUUID } from 'node:crypto';
import { EventStore, readDeadLetters } from '@gastown/bus';
import { beadIdFor } from '@gastown/contracts';
import { eventually, legacyConvoyCommit } from '@gastown/testing';
import { RunnerFixture, type DispatchedBead, type TestRig } from '../testing/runner.fixture';

describe('the refinery: merge jobs in a running git-runner', () => {
  let fixture: RunnerFixture;

  beforeAll(async () => {
    fixture = await RunnerFixture.start();
    await fixture.startRunner('runner-a');
  });

  afterAll(async () => {
    await fixture?.close();
  });

  /**
   * A review-then-land convoy whose beads were worked on as a polecat would: the feature branch
   * made by a branch job, each bead dispatched, its branch pushed from the feature tip with
   * `files`, and submitted.
   */
  async function submittedConvoy(rig: TestRig, beads: { title: string; files: Record<string, string> }[]) {
    const { convoyId, beadIds } = await fixture.sling(rig, beads.map(({ title }) => ({ title })), { title: 'Refinery spec', parallel: true });
    const feature = await fixture.featureBranch(convoyId, rig.rigId);
    await fixture.publish({ kind: 'branch', townId: fixture.townId, convoyId, rigId: rig.rigId, branch: feature });
    const start = await eventually('the feature branch on origin', async () => rig.origin.tip(feature));
    const submitted: (DispatchedBead & { head: string })[] = [];
    for (const [index, beadId] of beadIds.entries()) {
      const bead = await fixture.dispatch(convoyId, beadId, `polecat-${index}`);
      const head = rig.origin.commit(bead.branch, beads[index].files, { from: feature });
      await fixture.command('SubmitBead', convoyId, { beadId, attempt: bead.attempt, branch: bead.branch, headCommit: head });
      submitted.push({ ...bead, head });
    }
    return { convoyId, feature, start, beads: submitted };
  }

  const mergeJob = (rig: TestRig, convoyId: string, bead: DispatchedBead) =>
    ({ kind: 'merge', townId: fixture.townId, convoyId, rigId: rig.rigId, beadId: bead.beadId, attempt: bead.attempt }) as const;
  const parents = (rig: TestRig, commit: string) => rig.origin.git(['rev-list', '--parents', '-n', '1', commit], rig.origin.url).split(' ').slice(1);
  const merges = (rig: TestRig, branch: string) => Number(rig.origin.git(['rev-list', '--merges', '--count', branch], rig.origin.url));

  it('given a submitted bead, when its merge job runs, then it is merged no-ff into the feature branch and the merge recorded; a second delivery changes nothing', async () => {
    const rig = await fixture.registerRig();
    const { convoyId, feature, start, beads } = await submittedConvoy(rig, [{ title: 'Header', files: { 'header.txt': 'HEADER\n' } }]);

    await fixture.publish(mergeJob(rig, convoyId, beads[0]));

    const merged = await fixture.waitForEvent(convoyId, 'BeadMerged');
    expect(merged.data).toMatchObject({ beadId: beads[0].beadId, attempt: 1, targetBranch: feature, mergeCommit: rig.origin.tip(feature) });
    expect(parents(rig, merged.data.mergeCommit)).toEqual([start, beads[0].head]);
    expect(rig.origin.git(['log', '-1', '--format=%an|%s', merged.data.mergeCommit], rig.origin.url)).toBe(
      `Gastown Refinery|Merge bead "Header" (${beads[0].beadId.slice(0, 8)})`,
    );
    await fixture.waitForEvent(convoyId, 'ConvoyReadyToLand');
    await eventually('the job to be acknowledged', async () => (await fixture.pendingJobs()) === 0);
    const eventCount = (await fixture.events(convoyId)).length;

    await fixture.publish(mergeJob(rig, convoyId, beads[0]), `${convoyId}:again`);

    await eventually('the second delivery to be acknowledged', async () => (await fixture.pendingJobs()) === 0);
    expect(await fixture.events(convoyId)).toHaveLength(eventCount);
    expect(rig.origin.tip(feature)).toBe(merged.data.mergeCommit);
    expect(merges(rig, feature)).toBe(1);
  });

  it('given a bead whose title, stored before the text rules, holds a forged trailer, when merged, then the merge message is one line and carries no trailer', async () => {
    const rig = await fixture.registerRig();
    const convoyId = randomUUID();
    const beadId = beadIdFor(convoyId, 0);
    const title = 'Header\n\nSigned-off-by: Mallory <mallory@evil.example>';
    const old = legacyConvoyCommit(fixture.townId, convoyId, [
      {
        type: 'ConvoyCreated',
        data: { title: 'Old', slug: 'old', mergeMode: 'REVIEW_AND_MERGE', staged: false, parallel: false, defaultRigId: rig.rigId, maxAttempts: 3, maxLandingAttempts: 3, featureBranches: [] },
      },
      { type: 'BeadCreated', data: { beadId, index: 0, title, body: '', rigId: rig.rigId, dependsOn: [] } },
      { type: 'BeadsBecameReady', data: { beadIds: [beadId] } },
    ]);
    // Straight onto the stream, as a convoy service without the text rules wrote it.
    await new EventStore(fixture.bus).append(fixture.bus.names.convoyEvents(fixture.townId, convoyId), { commitId: old.commandId, expectedSeq: 0, events: old.events });
    const bead = await fixture.dispatch(convoyId, beadId);
    const head = rig.origin.commit(bead.branch, { 'header.txt': 'HEADER\n' }, { from: 'main' });
    await fixture.command('SubmitBead', convoyId, { beadId, attempt: bead.attempt, branch: bead.branch, headCommit: head });

    await fixture.publish(mergeJob(rig, convoyId, bead));

    const merged = await fixture.waitForEvent(convoyId, 'BeadMerged');
    const message = rig.origin.git(['log', '-1', '--format=%B', merged.data.mergeCommit], rig.origin.url).trim();
    expect(message).toBe(`Merge bead "Header  Signed-off-by: Mallory <mallory@evil.example>" (${beadId.slice(0, 8)})`);
    expect(rig.origin.git(['log', '-1', '--format=%(trailers)', merged.data.mergeCommit], rig.origin.url).trim()).toBe('');
  });

  it('given a merge that reached origin before a crash, when the merge job comes again, then that merge is recorded and none is made', async () => {
    const rig = await fixture.registerRig();
    const { convoyId, feature, beads } = await submittedConvoy(rig, [{ title: 'Footer', files: { 'footer.txt': 'FOOTER\n' } }]);
    // What a refinery that died between its push and its report leaves behind.
    rig.origin.git(['fetch', '--quiet', 'origin']);
    rig.origin.git(['checkout', '--quiet', '--force', '-B', feature, `origin/${feature}`]);
    rig.origin.git(['merge', '--quiet', '--no-ff', '-m', 'merged before the crash', beads[0].head]);
    rig.origin.git(['push', '--quiet', 'origin', `HEAD:refs/heads/${feature}`]);
    const pushed = rig.origin.tip(feature);

    await fixture.publish(mergeJob(rig, convoyId, beads[0]));

    const merged = await fixture.waitForEvent(convoyId, 'BeadMerged');
    expect(merged.data.mergeCommit).toBe(pushed);
    expect(rig.origin.tip(feature)).toBe(pushed);
    expect(merges(rig, feature)).toBe(1);
  });

  it('given two beads changing the same line, when they are merged in one batch, then the second is sent back naming the file and the first is merged', async () => {
    const rig = await fixture.registerRig();
    const { convoyId, feature, beads } = await submittedConvoy(rig, [
      { title: 'Left', files: { 'shared.txt': 'one\nLEFT\nthree\n' } },
      { title: 'Right', files: { 'shared.txt': 'one\nRIGHT\nthree\n' } },
    ]);
    await fixture.publish(mergeJob(rig, convoyId, beads[0]));
    const first = await fixture.waitForEvent(convoyId, 'BeadMerged');

    await fixture.publish(mergeJob(rig, convoyId, beads[1]));

    const rework = await fixture.waitForEvent(convoyId, 'BeadReworkRequested');
    expect(rework.data).toEqual({
      beadId: beads[1].beadId,
      attempt: 1,
      reason: expect.stringMatching(
        new RegExp(`^merge conflict with ${feature} and the 1 bead merged before it in batch [0-9a-f]{8} in: shared\\.txt \\(the next attempt starts from the current ${feature}\\)$`),
      ),
    });
    expect(rig.origin.tip(feature)).toBe(first.data.mergeCommit);
  });

  it('given a failing check, when the bead is reviewed, then nothing is merged and the check output is the rework reason', async () => {
    const check = ['node', '-e', "if (require('fs').existsSync('forbidden.txt')) { console.error('forbidden.txt must not exist'); process.exit(3) }"];
    const rig = await fixture.registerRig({ checks: [{ name: 'no-forbidden', command: check }] });
    const { convoyId, feature, start, beads } = await submittedConvoy(rig, [{ title: 'Forbidden', files: { 'forbidden.txt': 'oops\n' } }]);

    await fixture.publish(mergeJob(rig, convoyId, beads[0]));

    const rework = await fixture.waitForEvent(convoyId, 'BeadReworkRequested');
    expect(rework.data.reason).toBe('check "no-forbidden" failed (exit 3):\nforbidden.txt must not exist');
    expect(rig.origin.tip(feature)).toBe(start);
  });

  it('given a bead whose branch changes nothing, when it is reviewed, then it is sent back instead of counted as merged', async () => {
    const rig = await fixture.registerRig();
    const { convoyId, beadIds } = await fixture.sling(rig, [{ title: 'Idle' }], { title: 'Refinery spec' });
    const feature = await fixture.featureBranch(convoyId, rig.rigId);
    await fixture.publish({ kind: 'branch', townId: fixture.townId, convoyId, rigId: rig.rigId, branch: feature });
    const start = await eventually('the feature branch on origin', async () => rig.origin.tip(feature));
    const bead = await fixture.dispatch(convoyId, beadIds[0]);
    rig.origin.git(['branch', bead.branch, start], rig.origin.url);
    await fixture.command('SubmitBead', convoyId, { beadId: bead.beadId, attempt: 1, branch: bead.branch, headCommit: start });

    await fixture.publish(mergeJob(rig, convoyId, bead));

    const rework = await fixture.waitForEvent(convoyId, 'BeadReworkRequested');
    expect(rework.data.reason).toBe(`the branch changed nothing relative to ${feature}`);
  });

  it('given review-and-merge, when the bead is merged, then it goes onto the default branch and the convoy lands', async () => {
    const rig = await fixture.registerRig();
    const { convoyId, beadIds } = await fixture.sling(rig, [{ title: 'Straight in' }], { title: 'Refinery spec', mergeMode: 'REVIEW_AND_MERGE' });
    const bead = await fixture.dispatch(convoyId, beadIds[0]);
    const head = rig.origin.commit(bead.branch, { 'straight.txt': 's\n' });
    await fixture.command('SubmitBead', convoyId, { beadId: bead.beadId, attempt: 1, branch: bead.branch, headCommit: head });

    await fixture.publish(mergeJob(rig, convoyId, bead));

    const landed = await fixture.waitForEvent(convoyId, 'ConvoyLanded');
    expect(landed.data.landings).toEqual([{ rigId: rig.rigId, commit: rig.origin.tip('main') }]);
    expect(parents(rig, rig.origin.tip('main') ?? '')[1]).toBe(head);
  });

  it('given a job that is not JSON, when it is pulled, then it is parked as a dead letter with the reason', async () => {
    const rig = await fixture.registerRig();
    await fixture.bus.js.publish(fixture.bus.names.job('merge', rig.rigId), 'not json', { msgID: `poison-${rig.rigId}` });

    const letters = await eventually('the dead letter', async () => {
      const found = await readDeadLetters(fixture.bus, 'git-runner-merge', fixture.bus.names.jobStream);
      return found.length > 0 ? found : null;
    });
    expect(letters).toEqual([expect.objectContaining({ subject: fixture.bus.names.job('merge', rig.rigId), reason: 'the job is not valid JSON', deliveryCount: 1 })]);
    await eventually('the poison job to be gone from the queue', async () => (await fixture.pendingJobs()) === 0);
  });
});
