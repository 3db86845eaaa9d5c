import { bead, close, command, deliver, dispatch, historyOf, RIG_API, RIG_WEB, sha, slingBatch, spec, submit, task } from './convoy.decider.fixture';

const BATCH = '5b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e';
const NEXT = '6c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
const LATER = '7d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a';

/** Three independent beads of a review-and-merge convoy, all in review on attempt 1. */
const reviewing = () => [
  slingBatch([task('A'), task('B'), task('C')], { mergeMode: 'REVIEW_AND_MERGE', parallel: true }),
  dispatch(0),
  dispatch(1),
  dispatch(2),
  submit(0),
  submit(1),
  submit(2),
];
const entry = (index: number, hex: string) => ({ beadId: bead(index), attempt: 1, mergeCommit: sha(hex) });
const startBatch = (batchId = BATCH, beads = [entry(0, 'a1'), entry(1, 'b1'), entry(2, 'c1')], speculativeOn?: string) =>
  command('StartMergeBatch', { batchId, rigId: RIG_API, baseCommit: sha('0'), beads, ...(speculativeOn ? { speculativeOn } : {}) });
const started = (batchId = BATCH, beads = [entry(0, 'a1'), entry(1, 'b1'), entry(2, 'c1')], speculativeOn: string | null = null) => ({
  type: 'MergeBatchStarted' as const,
  data: { batchId, rigId: RIG_API, targetBranch: 'main', baseCommit: sha('0'), speculativeOn, beads },
});

describe('convoy decider: merge batches', () => {
  describe('StartMergeBatch', () => {
    it('given three beads in review, when the refinery starts a batch of them, then the batch names its beads in order, their merges and its target', () => {
      spec().given(historyOf(reviewing())).when(startBatch()).then([started()]);
    });

    it('given a batch under way, when the next batch is built on top of it, then it is started as speculative on the first', () => {
      spec()
        .given(historyOf([...reviewing(), startBatch(BATCH, [entry(0, 'a1')])]))
        .when(startBatch(NEXT, [entry(1, 'b2'), entry(2, 'c2')], BATCH))
        .then([started(NEXT, [entry(1, 'b2'), entry(2, 'c2')], BATCH)]);
    });

    it('given a batch its runner left open, when a new batch takes one of its beads, then the old batch is recorded as abandoned first', () => {
      spec()
        .given(historyOf([...reviewing(), startBatch(BATCH, [entry(0, 'a1'), entry(1, 'b1')])]))
        .when(startBatch(NEXT, [entry(1, 'b2')]))
        .then([
          {
            type: 'MergeBatchEnded',
            data: { batchId: BATCH, outcome: 'ABANDONED', mergedBeadIds: [], culpritBeadId: null, checkRuns: 0, reason: `merge batch ${NEXT} took its beads` },
          },
          started(NEXT, [entry(1, 'b2')]),
        ]);
    });

    it('given a bead not yet submitted, when a batch names it, then it is a conflict naming the bead and its status, and nothing is written', () => {
      const history = [slingBatch([task('A'), task('B')], { mergeMode: 'REVIEW_AND_MERGE', parallel: true }), dispatch(0), dispatch(1), submit(0)];
      spec()
        .given(historyOf(history))
        .when(startBatch(BATCH, [entry(0, 'a1'), entry(1, 'b1')]))
        .thenThrows('CONFLICT', /bead "B" cannot join merge batch .*: it is IN_PROGRESS/);
    });

    it('given a bead listed twice, when the batch starts, then the input is refused naming the bead', () => {
      spec()
        .given(historyOf(reviewing()))
        .when(startBatch(BATCH, [entry(0, 'a1'), entry(0, 'a2')]))
        .thenThrows('BAD_USER_INPUT', /bead "A" is listed twice/);
    });

    it('given beads of two rigs, when one batch names both, then it is a conflict naming the other rig', () => {
      const history = [
        slingBatch([task('A'), task('B', undefined, RIG_WEB)], { mergeMode: 'REVIEW_AND_MERGE', parallel: true }),
        dispatch(0),
        dispatch(1),
        submit(0),
        submit(1),
      ];
      spec()
        .given(historyOf(history))
        .when(startBatch(BATCH, [entry(0, 'a1'), entry(1, 'b1')]))
        .thenThrows('CONFLICT', new RegExp(`bead "B" cannot join merge batch .*: it works on rig ${RIG_WEB}`));
    });

    it('given a closed convoy, when a batch starts, then it is refused', () => {
      spec().given(historyOf([...reviewing(), close()])).when(startBatch()).thenThrows('CONFLICT', /is CANCELLED: it accepts no StartMergeBatch/);
    });
  });

  describe('check runs, claims and ends', () => {
    const check = (run: number, beadCount: number, outcome: 'PASSED' | 'FAILED' | 'FLAKY', reason?: string) =>
      command('RecordMergeBatchCheck', { batchId: BATCH, run, beadCount, outcome, durationMs: 2000, ...(reason ? { reason } : {}) });

    it('given a batch, when a bisection step fails on its first two beads, then the run names those beads and the tree tested', () => {
      spec()
        .given(historyOf([...reviewing(), startBatch()]))
        .when(check(2, 2, 'FAILED', 'check "test" failed (exit 1)'))
        .then([
          {
            type: 'MergeBatchChecked',
            data: { batchId: BATCH, run: 2, beadIds: [bead(0), bead(1)], commit: sha('b1'), outcome: 'FAILED', durationMs: 2000, reason: 'check "test" failed (exit 1)' },
          },
        ]);
    });

    it('given a batch, when a failed run says nothing of why, then it is refused naming the reason', () => {
      spec().given(historyOf([...reviewing(), startBatch()])).when(check(1, 3, 'FAILED')).thenThrows('BAD_USER_INPUT', /a failed check run must say why/);
    });

    it('given a batch, when more beads are named than it holds, then the count is refused', () => {
      spec().given(historyOf([...reviewing(), startBatch()])).when(check(1, 4, 'PASSED')).thenThrows('BAD_USER_INPUT', /beadCount must be between 1 and the batch's 3 beads \(it is 4\)/);
    });

    it('given a green batch, when its push is claimed, then every bead is granted at its own merge commit in one decision', () => {
      const decision = spec()
        .given(historyOf([...reviewing(), startBatch()]))
        .when(command('ClaimBatchPush', { batchId: BATCH, beadCount: 3 }))
        .then([
          { type: 'BeadMergeClaimed', data: { beadId: bead(0), attempt: 1, mergeCommit: sha('a1'), targetBranch: 'main' } },
          { type: 'BeadMergeClaimed', data: { beadId: bead(1), attempt: 1, mergeCommit: sha('b1'), targetBranch: 'main' } },
          { type: 'BeadMergeClaimed', data: { beadId: bead(2), attempt: 1, mergeCommit: sha('c1'), targetBranch: 'main' } },
        ]);
      expect(decision.result).toMatchObject({ batchId: BATCH, claimed: true });
    });

    it('given a closed convoy, when a batch push is claimed, then nothing is granted and each merge is recorded as aborted', () => {
      const aborted = (index: number) => ({ type: 'BeadMergeAborted' as const, data: { beadId: bead(index), attempt: 1, reason: 'convoy "Ship login" was closed before this merge was pushed' } });
      const decision = spec()
        .given(historyOf([...reviewing(), startBatch(), close()]))
        .when(command('ClaimBatchPush', { batchId: BATCH, beadCount: 2 }))
        .then([aborted(0), aborted(1)]);
      expect(decision.result).toMatchObject({ claimed: false, convoyStatus: 'CANCELLED' });
    });

    it('given a batch, when a bead is recorded merged by it, then the merge names the batch', () => {
      spec()
        .given(historyOf([...reviewing(), startBatch(), command('ClaimBatchPush', { batchId: BATCH, beadCount: 3 })]))
        .when(command('RecordBeadMerged', { beadId: bead(0), attempt: 1, mergeCommit: sha('a1'), batchId: BATCH }))
        .then([{ type: 'BeadMerged', data: { beadId: bead(0), attempt: 1, mergeCommit: sha('a1'), targetBranch: 'main', batchId: BATCH } }]);
    });

    it('given a batch without the bead, when the bead is recorded merged by it, then the batch id is refused', () => {
      spec()
        .given(historyOf([...reviewing(), startBatch(BATCH, [entry(0, 'a1')])]))
        .when(command('RecordBeadMerged', { beadId: bead(1), attempt: 1, mergeCommit: sha('b1'), batchId: BATCH }))
        .thenThrows('BAD_USER_INPUT', /bead "B" on attempt 1 is not in merge batch/);
    });

    it('given a bisected batch, when it ends split, then the end names the merged prefix and the culprit', () => {
      spec()
        .given(historyOf([...reviewing(), startBatch()]))
        .when(command('EndMergeBatch', { batchId: BATCH, outcome: 'SPLIT', mergedCount: 1, culpritBeadId: bead(1), checkRuns: 3, reason: 'check "test" failed' }))
        .then([{ type: 'MergeBatchEnded', data: { batchId: BATCH, outcome: 'SPLIT', mergedBeadIds: [bead(0)], culpritBeadId: bead(1), checkRuns: 3, reason: 'check "test" failed' } }]);
    });

    it('given a batch abandoned to a later one, when its old runner ends it, then nothing more is written', () => {
      spec()
        .given(historyOf([...reviewing(), startBatch(BATCH, [entry(0, 'a1')]), startBatch(LATER, [entry(0, 'a2')])]))
        .when(command('EndMergeBatch', { batchId: BATCH, outcome: 'MERGED', mergedCount: 1, checkRuns: 1 }))
        .thenNothing();
    });

    it('given no such batch, when a check run is recorded, then it is not found, naming the batch', () => {
      spec().given(historyOf(reviewing())).when(check(1, 1, 'PASSED')).thenThrows('NOT_FOUND', new RegExp(`merge batch ${BATCH} was never started`));
    });
  });

  it('given a finished delivery, when the history is replayed, then merged beads are not blocked by old batches', () => {
    spec().given(historyOf([slingBatch([task('A')]), ...deliver(0)])).when(startBatch(BATCH, [entry(0, 'a1')])).thenThrows('CONFLICT', /it is CLOSED/);
  });
});
