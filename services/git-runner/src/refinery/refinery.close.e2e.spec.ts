import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@gastown/testing';
import { RunnerFixture, type DispatchedBead, type TestRig } from '../testing/runner.fixture';

/**
 * Close means closed: a merge under way when the convoy is closed is either stopped before its
 * push (and recorded as aborted) or, when its push was granted first, recorded when it lands, and
 * the close answers that it may. The gates are fifos the test opens for writing: opening returns
 * once the check (or origin's pre-receive hook) is blocked reading it, so no test waits on time.
 */
describe('the refinery when a convoy is closed during a merge', () => {
  let fixture: RunnerFixture;
  /** Shown read-only to the sandboxed checks (GIT_RUNNER_SANDBOX_READ_ONLY). */
  const gates = mkdtempSync(join(tmpdir(), 'gt-close-gates-'));
  chmodSync(gates, 0o755);

  beforeAll(async () => {
    fixture = await RunnerFixture.start({ GIT_RUNNER_SANDBOX_READ_ONLY: gates }, { gateway: true });
    await fixture.startRunner('runner-a');
  });

  afterAll(async () => {
    await fixture?.close();
    rmSync(gates, { recursive: true, force: true });
  });

  function gate(): string {
    const path = join(gates, randomUUID());
    execFileSync('mkfifo', ['-m', '0666', path]);
    return path;
  }

  /** Waits until a reader is blocked on the gate, then lets it through. */
  async function opened(path: string) {
    const writer = await open(path, 'w');
    return { release: async () => writer.close() };
  }

  const mergeJob = (rig: TestRig, convoyId: string, bead: DispatchedBead) =>
    ({ kind: 'merge', townId: fixture.townId, convoyId, rigId: rig.rigId, beadId: bead.beadId, attempt: bead.attempt }) as const;

  /** One submitted bead whose branch adds `file`, on `base` (main, or the feature branch made first). */
  async function submitted(rig: TestRig, mergeMode: 'REVIEW_AND_MERGE' | 'REVIEW_THEN_LAND', file: string) {
    const { convoyId, beadIds } = await fixture.sling(rig, [{ title: 'Late change' }], { title: 'Close spec', mergeMode });
    let target = 'main';
    if (mergeMode === 'REVIEW_THEN_LAND') {
      target = await fixture.featureBranch(convoyId, rig.rigId);
      await fixture.publish({ kind: 'branch', townId: fixture.townId, convoyId, rigId: rig.rigId, branch: target });
      await eventually('the feature branch on origin', async () => rig.origin.tip(target));
    }
    const bead = await fixture.dispatch(convoyId, beadIds[0]);
    const head = rig.origin.commit(bead.branch, { [file]: 'late\n' }, { from: target });
    await fixture.command('SubmitBead', convoyId, { beadId: bead.beadId, attempt: 1, branch: bead.branch, headCommit: head });
    return { convoyId, bead, head, target, before: rig.origin.tip(target) };
  }

  const contains = (rig: TestRig, branch: string, commit: string) =>
    rig.origin.git(['branch', '--contains', commit, '--format=%(refname:short)'], rig.origin.url).split('\n').includes(branch);

  for (const mergeMode of ['REVIEW_AND_MERGE', 'REVIEW_THEN_LAND'] as const) {
    it(`given a ${mergeMode} bead whose check is running, when the convoy is closed, then its change never reaches the target and the history says the merge was aborted`, async () => {
      const checkGate = gate();
      const rig = await fixture.registerRig({ checks: [{ name: 'slow', command: ['node', '-e', `require('fs').readFileSync(${JSON.stringify(checkGate)})`] }] });
      const { convoyId, bead, head, target, before } = await submitted(rig, mergeMode, 'late.txt');

      await fixture.publish(mergeJob(rig, convoyId, bead));
      const check = await opened(checkGate);
      const closed = await fixture.closeConvoy(convoyId);
      await check.release();

      expect(closed).toMatchObject({ status: 'CANCELLED', mergesUnderWay: [], beads: [{ id: bead.beadId, status: 'CANCELLED' }] });
      const aborted = await fixture.waitForEvent(convoyId, 'BeadMergeAborted');
      expect(aborted.data).toEqual({ beadId: bead.beadId, attempt: 1, reason: 'convoy "Close spec" was closed before this merge was pushed' });
      await eventually('the job to be acknowledged', async () => (await fixture.pendingJobs()) === 0);
      expect(rig.origin.tip(target)).toBe(before);
      expect(contains(rig, target, head)).toBe(false);
      const types = (await fixture.events(convoyId)).map((e) => e.type);
      expect(types).not.toContain('BeadMerged');
      expect(types).not.toContain('BeadMergeClaimed');
    });
  }

  it('given a merge whose push was granted before the close, when git accepts it, then the merge is recorded after the close, which named it, and the bead reads merged', async () => {
    const rig = await fixture.registerRig();
    const { convoyId, bead, head } = await submitted(rig, 'REVIEW_AND_MERGE', 'granted.txt');
    const pushGate = gate();
    const hook = join(rig.origin.url, 'hooks', 'pre-receive');
    writeFileSync(hook, `#!/bin/sh\ncat ${JSON.stringify(pushGate)} > /dev/null\n`, { mode: 0o755 });

    await fixture.publish(mergeJob(rig, convoyId, bead));
    const push = await opened(pushGate);
    const closed = await fixture.closeConvoy(convoyId);
    await push.release();

    expect(closed).toMatchObject({ status: 'CANCELLED', mergesUnderWay: [{ id: bead.beadId, status: 'IN_REVIEW', mergeUnderWay: true }] });
    const merged = await fixture.waitForEvent(convoyId, 'BeadMerged');
    expect(merged.data).toMatchObject({ beadId: bead.beadId, attempt: 1, targetBranch: 'main', mergeCommit: rig.origin.tip('main') });
    expect(contains(rig, 'main', head)).toBe(true);
    const types = (await fixture.events(convoyId)).map((e) => e.type);
    expect(types.filter((t) => ['BeadMergeClaimed', 'ConvoyCancelled', 'BeadMerged', 'BeadCancelled', 'ConvoyLanded'].includes(t))).toEqual([
      'BeadMergeClaimed',
      'ConvoyCancelled',
      'BeadMerged',
    ]);
    const after = await eventually('the bead to read merged', async () => {
      const convoy = await fixture.convoy(convoyId);
      return convoy.beads[0].status === 'CLOSED' ? convoy : null;
    });
    expect(after).toMatchObject({ status: 'CANCELLED', mergesUnderWay: [], beads: [{ id: bead.beadId, status: 'CLOSED', mergeUnderWay: false }] });
  });
});
