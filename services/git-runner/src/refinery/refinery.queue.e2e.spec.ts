import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventOf, GastownEvent } from '@gastown/contracts';
import { eventually } from '@gastown/testing';
import { RunnerFixture, type DispatchedBead, type TestRig } from '../testing/runner.fixture';

/**
 * The refinery as a merge queue, on real git, NATS and sandboxed checks: beads waiting together
 * are merged as a batch and checked once; a red batch is bisected; the next batch is checked
 * speculatively on top of the one ahead. Whatever happens, every tree pushed to origin is one the
 * checks passed on (origin's post-receive hook writes down each new tip).
 */
describe('the refinery as a merge queue', () => {
  let fixture: RunnerFixture;

  beforeAll(async () => {
    fixture = await RunnerFixture.start();
    await fixture.startRunner('runner-a');
  });

  afterAll(async () => {
    await fixture?.close();
  });

  /** A check that fails, naming the file, while the tree holds `bad.txt`. */
  const noBadFile = { name: 'no-bad-file', command: ['node', '-e', "if (require('fs').existsSync('bad.txt')) { console.error('bad.txt broke the build'); process.exit(4) }"] };

  /** Makes origin write down every tip pushed to it, so a test can tell what reached the branch and how often. */
  function recordPushes(rig: TestRig): () => string[] {
    const log = join(rig.origin.url, 'pushed-tips.log');
    writeFileSync(log, '');
    writeFileSync(join(rig.origin.url, 'hooks', 'post-receive'), `#!/bin/sh\nwhile read old new ref; do echo "$ref $new" >> ${JSON.stringify(log)}; done\n`, { mode: 0o755 });
    return () => readFileSync(log, 'utf8').split('\n').filter((line) => line.length > 0);
  }

  /** A review-then-land convoy of independent beads, each adding its own files on the feature branch, all submitted before any merge job. */
  async function submitted(rig: TestRig, files: Record<string, string>[]) {
    const { convoyId, beadIds } = await fixture.sling(rig, files.map((_, i) => ({ title: `Bead ${i}` })), { title: 'Queue spec', parallel: true });
    const feature = await fixture.featureBranch(convoyId, rig.rigId);
    await fixture.publish({ kind: 'branch', townId: fixture.townId, convoyId, rigId: rig.rigId, branch: feature });
    await eventually('the feature branch on origin', async () => rig.origin.tip(feature));
    const beads: (DispatchedBead & { head: string })[] = [];
    for (const [index, beadId] of beadIds.entries()) {
      const bead = await fixture.dispatch(convoyId, beadId, `polecat-${index}`);
      const head = rig.origin.commit(bead.branch, files[index], { from: feature });
      await fixture.command('SubmitBead', convoyId, { beadId, attempt: bead.attempt, branch: bead.branch, headCommit: head });
      beads.push({ ...bead, head });
    }
    return { convoyId, feature, beads };
  }

  const mergeJob = (rig: TestRig, convoyId: string, bead: DispatchedBead) =>
    ({ kind: 'merge', townId: fixture.townId, convoyId, rigId: rig.rigId, beadId: bead.beadId, attempt: bead.attempt }) as const;
  const ofType = <T extends GastownEvent['type']>(events: GastownEvent[], type: T) => events.filter((e) => e.type === type) as unknown as EventOf<T>[];
  const files = (count: number, extra: Record<number, Record<string, string>> = {}) =>
    Array.from({ length: count }, (_, i) => ({ [`bead-${i}.txt`]: `${i}\n`, ...(extra[i] ?? {}) }));

  /** Waits until every bead is merged or sent back and every batch has ended, then returns the convoy's events. */
  async function settled(convoyId: string, count: number): Promise<GastownEvent[]> {
    return eventually(
      'every bead merged or sent back',
      async () => {
        const events = await fixture.events(convoyId);
        const beadsSettled = ofType(events, 'BeadMerged').length + ofType(events, 'BeadReworkRequested').length >= count;
        return beadsSettled && ofType(events, 'MergeBatchEnded').length === ofType(events, 'MergeBatchStarted').length ? events : null;
      },
      { timeoutMs: 60_000 },
    );
  }

  /** Nothing untested reaches a branch: every tip pushed to `branch` is a commit whose checks passed. */
  function expectOnlyCheckedPushes(events: GastownEvent[], pushes: string[], branch: string): void {
    const passed = new Set(ofType(events, 'MergeBatchChecked').filter((e) => e.data.outcome !== 'FAILED').map((e) => e.data.commit));
    const tips = pushes.filter((line) => line.startsWith(`refs/heads/${branch} `)).map((line) => line.split(' ')[1]);
    expect(tips.length).toBeGreaterThan(0);
    for (const tip of tips) expect(passed).toContain(tip);
  }

  it('given 8 beads waiting, when the first merge job runs, then one batch merges them bead by bead, checks once and pushes once', async () => {
    const rig = await fixture.registerRig({ checks: [noBadFile] });
    const { convoyId, feature, beads } = await submitted(rig, files(8));
    const pushes = recordPushes(rig);

    await fixture.publish(mergeJob(rig, convoyId, beads[0]));

    const events = await settled(convoyId, 8);
    const [batch] = ofType(events, 'MergeBatchStarted');
    expect(ofType(events, 'MergeBatchStarted')).toHaveLength(1);
    expect(batch.data.beads.map((b) => b.beadId)).toEqual(beads.map((b) => b.beadId));
    expect(ofType(events, 'MergeBatchChecked').map((e) => [e.data.run, e.data.beadIds.length, e.data.outcome])).toEqual([[1, 8, 'PASSED']]);
    expect(ofType(events, 'BeadMerged').map((e) => [e.data.beadId, e.data.batchId, e.data.mergeCommit])).toEqual(
      batch.data.beads.map((b) => [b.beadId, batch.data.batchId, b.mergeCommit]),
    );
    expect(ofType(events, 'MergeBatchEnded').map((e) => e.data)).toEqual([
      { batchId: batch.data.batchId, outcome: 'MERGED', mergedBeadIds: beads.map((b) => b.beadId), culpritBeadId: null, checkRuns: 1, reason: null },
    ]);
    // History still reads bead by bead: one no-ff merge per bead on the branch's first-parent line.
    const line = rig.origin.git(['rev-list', '--first-parent', '--reverse', `${batch.data.baseCommit}..${feature}`], rig.origin.url).split('\n');
    expect(line).toEqual(batch.data.beads.map((b) => b.mergeCommit));
    expect(pushes().filter((p) => p.startsWith(`refs/heads/${feature} `))).toEqual([`refs/heads/${feature} ${line[7]}`]);
    expectOnlyCheckedPushes(events, pushes(), feature);
  });

  it('given a batch of 8 whose 6th bead breaks the checks, when it is reviewed, then at most 4 runs isolate it, it is sent back with the output and the other 7 merge', async () => {
    const rig = await fixture.registerRig({ checks: [noBadFile] });
    const { convoyId, feature, beads } = await submitted(rig, files(8, { 5: { 'bad.txt': 'oops\n' } }));
    const pushes = recordPushes(rig);

    // As the dispatcher does: one merge job per bead in review. The first drains the queue; the others find their bead settled or take the rest.
    for (const bead of beads) await fixture.publish(mergeJob(rig, convoyId, bead));

    const events = await settled(convoyId, 8);
    const [first] = ofType(events, 'MergeBatchStarted');
    const runs = ofType(events, 'MergeBatchChecked').filter((e) => e.data.batchId === first.data.batchId);
    expect(runs.length).toBeLessThanOrEqual(Math.ceil(Math.log2(8)) + 1);
    expect(runs.map((e) => [e.data.beadIds.length, e.data.outcome])).toEqual([
      [8, 'FAILED'],
      [4, 'PASSED'],
      [6, 'FAILED'],
      [5, 'PASSED'],
    ]);
    const [rework] = ofType(events, 'BeadReworkRequested');
    expect(rework.data.beadId).toBe(beads[5].beadId);
    expect(rework.data.reason).toMatch(/^merge batch [0-9a-f]{8} failed its checks and 4 check runs isolated this bead as the cause \(the 5 beads before it passed without it\): check "no-bad-file" failed \(exit 4\):\nbad\.txt broke the build$/);
    expect(ofType(events, 'MergeBatchEnded').find((e) => e.data.batchId === first.data.batchId)?.data).toMatchObject({
      outcome: 'SPLIT',
      mergedBeadIds: beads.slice(0, 5).map((b) => b.beadId),
      culpritBeadId: beads[5].beadId,
      checkRuns: 4,
    });
    expect(new Set(ofType(events, 'BeadMerged').map((e) => e.data.beadId))).toEqual(new Set(beads.filter((_, i) => i !== 5).map((b) => b.beadId)));
    expect(rig.origin.git(['ls-tree', '--name-only', feature], rig.origin.url).split('\n')).not.toContain('bad.txt');
    expectOnlyCheckedPushes(events, pushes(), feature);
  });

  it('given a bead that conflicts with one ahead of it in the batch, when the batch is built, then only that bead goes back and the rest merge with one check run', async () => {
    const rig = await fixture.registerRig({ checks: [noBadFile] });
    const { convoyId, beads } = await submitted(rig, files(4, { 1: { 'shared.txt': 'LEFT\n' }, 2: { 'shared.txt': 'RIGHT\n' } }));

    await fixture.publish(mergeJob(rig, convoyId, beads[0]));

    const events = await settled(convoyId, 4);
    expect(ofType(events, 'BeadReworkRequested').map((e) => e.data.beadId)).toEqual([beads[2].beadId]);
    expect(ofType(events, 'BeadReworkRequested')[0].data.reason).toMatch(/merge conflict with .* and the 2 beads merged before it in batch [0-9a-f]{8} in: shared\.txt/);
    expect(ofType(events, 'BeadMerged').map((e) => e.data.beadId)).toEqual([beads[0].beadId, beads[1].beadId, beads[3].beadId]);
    expect(ofType(events, 'MergeBatchChecked')).toHaveLength(1);
  });

  it('given two batches checked at once, when the first goes green, then the second, checked on top of it, stands and is pushed without another run', async () => {
    const rig = await fixture.registerRig({ checks: [noBadFile], mergeBatchMax: 2, speculativeDepth: 2 });
    const { convoyId, feature, beads } = await submitted(rig, files(4));
    const pushes = recordPushes(rig);

    await fixture.publish(mergeJob(rig, convoyId, beads[0]));

    const events = await settled(convoyId, 4);
    const [first, second] = ofType(events, 'MergeBatchStarted');
    expect(second.data.speculativeOn).toBe(first.data.batchId);
    expect(second.data.baseCommit).toBe(first.data.beads[1].mergeCommit);
    expect(ofType(events, 'MergeBatchChecked').map((e) => [e.data.batchId, e.data.outcome])).toEqual([
      [first.data.batchId, 'PASSED'],
      [second.data.batchId, 'PASSED'],
    ]);
    expect(ofType(events, 'MergeBatchEnded').map((e) => e.data.outcome)).toEqual(['MERGED', 'MERGED']);
    expectOnlyCheckedPushes(events, pushes(), feature);
  });

  it('given a speculative batch on a batch that goes red, when the first is bisected, then the second is discarded and rebuilt on what was pushed', async () => {
    const rig = await fixture.registerRig({ checks: [noBadFile], mergeBatchMax: 2, speculativeDepth: 2 });
    const { convoyId, feature, beads } = await submitted(rig, files(4, { 1: { 'bad.txt': 'oops\n' } }));
    const pushes = recordPushes(rig);

    for (const bead of beads) await fixture.publish(mergeJob(rig, convoyId, bead));

    const events = await settled(convoyId, 4);
    const started = ofType(events, 'MergeBatchStarted');
    const ended = new Map(ofType(events, 'MergeBatchEnded').map((e) => [e.data.batchId, e.data]));
    expect(started[1].data.speculativeOn).toBe(started[0].data.batchId);
    expect(ended.get(started[0].data.batchId)).toMatchObject({ outcome: 'SPLIT', culpritBeadId: beads[1].beadId, mergedBeadIds: [beads[0].beadId] });
    expect(ended.get(started[1].data.batchId)).toMatchObject({ outcome: 'DISCARDED', mergedBeadIds: [] });
    expect(ended.get(started[1].data.batchId)?.reason).toMatch(/failed its checks; its beads wait for the next batch/);
    const rebuilt = started[2];
    expect(rebuilt.data.speculativeOn).toBeNull();
    expect(rebuilt.data.beads.map((b) => b.beadId)).toEqual([beads[2].beadId, beads[3].beadId]);
    expect(ofType(events, 'BeadMerged').map((e) => [e.data.beadId, e.data.batchId])).toEqual([
      [beads[0].beadId, started[0].data.batchId],
      [beads[2].beadId, rebuilt.data.batchId],
      [beads[3].beadId, rebuilt.data.batchId],
    ]);
    expectOnlyCheckedPushes(events, pushes(), feature);
  });

  it('given a check that fails once and passes on the same tree, when the rig retries flaky checks, then the run is reported flaky and the batch merges', async () => {
    // Untracked, so the retry sees the same tree: only the check's own leftover tells the runs apart.
    const flaky = { name: 'flaky', command: ['node', '-e', "const fs = require('fs'); if (!fs.existsSync('.ran')) { fs.writeFileSync('.ran', ''); console.error('timing out on a port'); process.exit(1) }"] };
    const rig = await fixture.registerRig({ checks: [flaky], retryFlakyChecks: true });
    const { convoyId, beads } = await submitted(rig, files(2));

    await fixture.publish(mergeJob(rig, convoyId, beads[0]));

    const events = await settled(convoyId, 2);
    expect(ofType(events, 'MergeBatchChecked').map((e) => [e.data.run, e.data.outcome, e.data.reason])).toEqual([
      [2, 'FLAKY', 'check "flaky" failed (exit 1):\ntiming out on a port'],
    ]);
    expect(ofType(events, 'BeadMerged')).toHaveLength(2);
    expect(ofType(events, 'BeadReworkRequested')).toHaveLength(0);
  });
});
