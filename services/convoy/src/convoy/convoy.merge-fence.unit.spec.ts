import { CONVOY_ID, bead, close, command, deliver, dispatch, historyOf, merge, rework, sha, slingBatch, spec, submit, task } from './convoy.decider.fixture';

const claim = (index: number, attempt = 1, mergeCommit = sha('b')) => command('ClaimMergePush', { beadId: bead(index), attempt, mergeCommit });

/** Two independent beads of a review-and-merge convoy: A merged, B in review on attempt 1. */
const reviewing = () => [slingBatch([task('A'), task('B')], { mergeMode: 'REVIEW_AND_MERGE', parallel: true }), ...deliver(0), dispatch(1), submit(1)];

describe('convoy decider: the merge push fence', () => {
  describe('ClaimMergePush on an open convoy', () => {
    it('given a bead in review, when its merge push is claimed, then the claim names the commit and its target', () => {
      const decision = spec()
        .given(historyOf(reviewing()))
        .when(claim(1))
        .then([{ type: 'BeadMergeClaimed', data: { beadId: bead(1), attempt: 1, mergeCommit: sha('b'), targetBranch: 'main' } }]);
      expect(decision.result).toMatchObject({ claimed: true, beadStatus: 'IN_REVIEW', convoyStatus: 'ACTIVE' });
    });

    it('given a claimed push, when the same commit is claimed again, then nothing is written and it is still granted', () => {
      const decision = spec().given(historyOf([...reviewing(), claim(1)])).when(claim(1)).thenNothing();
      expect(decision.result).toMatchObject({ claimed: true });
    });

    it('given a claimed push whose target moved, when the new merge is claimed, then the new commit is claimed', () => {
      spec()
        .given(historyOf([...reviewing(), claim(1)]))
        .when(claim(1, 1, sha('d')))
        .then([{ type: 'BeadMergeClaimed', data: { beadId: bead(1), attempt: 1, mergeCommit: sha('d'), targetBranch: 'main' } }]);
    });

    it('given a bead sent back to rework, when a stale attempt claims, then it is a conflict', () => {
      spec()
        .given(historyOf([...reviewing(), rework(1), dispatch(1)]))
        .when(claim(1))
        .thenThrows('CONFLICT', /ClaimMergePush for bead "B" names attempt 1, but it is on attempt 2/);
    });
  });

  describe('a close decided before the claim', () => {
    it('given a bead in review and no claim, when the convoy is closed, then its review is dropped and the close names no merge under way', () => {
      const decision = spec()
        .given(historyOf(reviewing()))
        .when(close('plan changed'))
        .then([
          { type: 'ConvoyCancelled', data: { reason: 'plan changed', stopAgents: [], dropReviews: [bead(1)], dropLanding: false } },
          { type: 'BeadCancelled', data: { beadId: bead(1), previousStatus: 'IN_REVIEW' } },
        ]);
      expect(decision.result).toEqual({ convoyId: CONVOY_ID, convoyStatus: 'CANCELLED', mergesUnderWay: [], landingsUnderWay: [] });
    });

    it('given a closed convoy, when the refinery claims the push, then the merge is recorded as aborted and not granted', () => {
      const decision = spec()
        .given(historyOf([...reviewing(), close()]))
        .when(claim(1))
        .then([
          { type: 'BeadMergeAborted', data: { beadId: bead(1), attempt: 1, reason: 'convoy "Ship login" was closed before this merge was pushed' } },
        ]);
      expect(decision.result).toMatchObject({ claimed: false, beadStatus: 'CANCELLED', convoyStatus: 'CANCELLED' });
    });

    it('given a closed convoy, when the merge of a dropped review is reported anyway, then it is a conflict', () => {
      spec()
        .given(historyOf([...reviewing(), close()]))
        .when(merge(1))
        .thenThrows('CONFLICT', 'convoy "Ship login" is CANCELLED and bead "B" had no merge under way when it was closed: it accepts no RecordBeadMerged');
    });
  });

  describe('a close decided after the claim', () => {
    it('given a claimed push, when the convoy is closed, then the bead stays in review and the close answers that its merge is under way', () => {
      const decision = spec()
        .given(historyOf([...reviewing(), claim(1)]))
        .when(close('plan changed'))
        .then([{ type: 'ConvoyCancelled', data: { reason: 'plan changed', stopAgents: [], dropReviews: [], dropLanding: false } }]);
      expect(decision.result).toEqual({ convoyId: CONVOY_ID, convoyStatus: 'CANCELLED', mergesUnderWay: [bead(1)], landingsUnderWay: [] });
    });

    it('given a claimed push and a close, when the merge is reported, then it is recorded and the close answer stays the same', () => {
      const closing = close();
      spec()
        .given(historyOf([...reviewing(), claim(1), closing]))
        .when(merge(1))
        .then([{ type: 'BeadMerged', data: { beadId: bead(1), attempt: 1, mergeCommit: sha('b'), targetBranch: 'main', batchId: null } }]);
      const repeated = spec().given(historyOf([...reviewing(), claim(1), closing, merge(1)])).when(closing).thenNothing();
      expect(repeated.result).toEqual({ convoyId: CONVOY_ID, convoyStatus: 'CANCELLED', mergesUnderWay: [bead(1)], landingsUnderWay: [] });
    });

    it('given a claimed push and a close, when the same commit is claimed again (a lost reply), then it is still granted', () => {
      const decision = spec().given(historyOf([...reviewing(), claim(1), close()])).when(claim(1)).thenNothing();
      expect(decision.result).toMatchObject({ claimed: true, beadStatus: 'IN_REVIEW' });
    });

    it('given a claimed push and a close, when a new merge of the bead is claimed (the push failed), then it is aborted', () => {
      spec()
        .given(historyOf([...reviewing(), claim(1), close()]))
        .when(claim(1, 1, sha('d')))
        .then([
          { type: 'BeadMergeAborted', data: { beadId: bead(1), attempt: 1, reason: 'convoy "Ship login" was closed before this merge was pushed' } },
        ]);
    });

    it('given a claimed push and a close, when review sends it back, then no rework follows: the merge is recorded as aborted', () => {
      spec()
        .given(historyOf([...reviewing(), claim(1), close()]))
        .when(rework(1, 1, 'merge conflict with main'))
        .then([
          {
            type: 'BeadMergeAborted',
            data: { beadId: bead(1), attempt: 1, reason: 'convoy "Ship login" was closed before this merge was pushed: merge conflict with main' },
          },
        ]);
    });

    it('given a claimed push, a close and its abort, when the merge is reported, then it is a conflict', () => {
      spec()
        .given(historyOf([...reviewing(), claim(1), close(), claim(1, 1, sha('d'))]))
        .when(merge(1))
        .thenThrows('CONFLICT', /bead "B" had no merge under way/);
    });
  });
});
