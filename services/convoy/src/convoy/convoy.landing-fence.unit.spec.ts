import { CONVOY_ID, RIG_API, RIG_WEB, close, command, deliver, historyOf, rigLanded, sha, slingBatch, spec, startLanding, task } from './convoy.decider.fixture';

const prepare = (rigId: string, attempt = 1) => command('RecordRigLandingPrepared', { rigId, attempt, targetTip: sha('e'), tree: sha('f') });
const claim = (rigId: string, attempt = 1, commit = sha('c')) => command('ClaimLandingPush', { rigId, attempt, commit });
const failOn = (rigId: string, attempt: number, reason: string) => command('FailLanding', { attempt, reason, rigId });

/** A review-then-land convoy on two rigs (api lands on main, web on trunk), both prepared for landing attempt 1. */
const prepared = () => [slingBatch([task('API', [], RIG_API), task('Web', [0], RIG_WEB)]), ...deliver(0), ...deliver(1), startLanding(), prepare(RIG_API), prepare(RIG_WEB)];

const CLOSED_FIRST = 'convoy "Ship login" was closed before this landing was pushed';

describe('convoy decider: the landing push fence', () => {
  describe('ClaimLandingPush on a landing convoy', () => {
    it('given every rig prepared, when a rig claims its push, then the claim names the commit and the rig target', () => {
      const decision = spec()
        .given(historyOf(prepared()))
        .when(claim(RIG_WEB, 1, sha('d')))
        .then([{ type: 'RigLandingClaimed', data: { rigId: RIG_WEB, attempt: 1, commit: sha('d'), targetBranch: 'trunk' } }]);
      expect(decision.result).toEqual({ convoyId: CONVOY_ID, rigId: RIG_WEB, claimed: true, convoyStatus: 'LANDING' });
    });

    it('given a claimed push, when the same commit is claimed again, then nothing is written and it is still granted', () => {
      const decision = spec().given(historyOf([...prepared(), claim(RIG_API)])).when(claim(RIG_API)).thenNothing();
      expect(decision.result).toMatchObject({ claimed: true });
    });

    it('given a rig not prepared yet, when its push is claimed, then it is a conflict', () => {
      const unprepared = prepared().slice(0, -1);
      spec().given(historyOf(unprepared)).when(claim(RIG_API)).thenThrows('CONFLICT', /needs every rig of convoy "Ship login" prepared/);
    });

    it('given a rig already landed, when its push is claimed again, then it is a conflict', () => {
      spec()
        .given(historyOf([...prepared(), claim(RIG_API), rigLanded(RIG_API)]))
        .when(claim(RIG_API, 1, sha('d')))
        .thenThrows('CONFLICT', /already landed/);
    });

    it('given a failed landing attempt, when its stale push is claimed, then it is a conflict and nothing is aborted', () => {
      spec()
        .given(historyOf([...prepared(), failOn(RIG_API, 1, 'main moved')]))
        .when(claim(RIG_API))
        .thenThrows('CONFLICT', /needs convoy "Ship login" LANDING \(it is READY_TO_LAND\)/);
    });
  });

  describe('a close decided before the claim', () => {
    it('given every rig prepared and no claim, when the convoy is closed, then the landing is dropped and the close names no landing under way', () => {
      const decision = spec()
        .given(historyOf(prepared()))
        .when(close('plan changed'))
        .then([{ type: 'ConvoyCancelled', data: { reason: 'plan changed', stopAgents: [], dropReviews: [], dropLanding: true } }]);
      expect(decision.result).toEqual({ convoyId: CONVOY_ID, convoyStatus: 'CANCELLED', mergesUnderWay: [], landingsUnderWay: [] });
    });

    it('given a closed convoy, when a rig claims its push, then the landing is recorded as aborted and not granted', () => {
      const decision = spec()
        .given(historyOf([...prepared(), close()]))
        .when(claim(RIG_API))
        .then([{ type: 'RigLandingAborted', data: { rigId: RIG_API, attempt: 1, reason: CLOSED_FIRST } }]);
      expect(decision.result).toEqual({ convoyId: CONVOY_ID, rigId: RIG_API, claimed: false, convoyStatus: 'CANCELLED' });
    });

    it('given an aborted landing, when the rig claims again (a redelivery), then nothing more is written and it is still refused', () => {
      const decision = spec().given(historyOf([...prepared(), close(), claim(RIG_API)])).when(claim(RIG_API, 1, sha('d'))).thenNothing();
      expect(decision.result).toMatchObject({ claimed: false });
    });

    it('given a closed convoy, when a landing nobody claimed is reported anyway, then it is a conflict', () => {
      spec()
        .given(historyOf([...prepared(), close()]))
        .when(rigLanded(RIG_API))
        .thenThrows('CONFLICT', `convoy "Ship login" is CANCELLED and rig ${RIG_API} had no landing push under way when it was closed: it accepts no RecordRigLanded`);
    });

    it('given a convoy closed before it landed, when a push of an attempt that never started claims, then it is a conflict', () => {
      spec()
        .given(historyOf([slingBatch([task('API', [], RIG_API)]), ...deliver(0), close()]))
        .when(claim(RIG_API))
        .thenThrows('CONFLICT', /names landing attempt 1 of convoy "Ship login", but attempt 0 is under way/);
    });
  });

  describe('a close decided after the claim', () => {
    it('given a claimed push, when the convoy is closed, then the close answers that the landing on that rig is under way', () => {
      const decision = spec()
        .given(historyOf([...prepared(), claim(RIG_API)]))
        .when(close('plan changed'))
        .then([{ type: 'ConvoyCancelled', data: { reason: 'plan changed', stopAgents: [], dropReviews: [], dropLanding: true } }]);
      expect(decision.result).toEqual({ convoyId: CONVOY_ID, convoyStatus: 'CANCELLED', mergesUnderWay: [], landingsUnderWay: [RIG_API] });
    });

    it('given a claimed push and a close, when the landing is reported, then it is recorded, no ConvoyLanded follows and the close answer stays the same', () => {
      const closing = close();
      spec()
        .given(historyOf([...prepared(), claim(RIG_API), closing]))
        .when(rigLanded(RIG_API))
        .then([{ type: 'RigLanded', data: { rigId: RIG_API, commit: sha('c'), targetBranch: 'main' } }]);
      const repeated = spec().given(historyOf([...prepared(), claim(RIG_API), closing, rigLanded(RIG_API)])).when(closing).thenNothing();
      expect(repeated.result).toEqual({ convoyId: CONVOY_ID, convoyStatus: 'CANCELLED', mergesUnderWay: [], landingsUnderWay: [RIG_API] });
    });

    it('given a claimed push and a close, when the same commit is claimed again (a lost reply), then it is still granted', () => {
      const decision = spec().given(historyOf([...prepared(), claim(RIG_API), close()])).when(claim(RIG_API)).thenNothing();
      expect(decision.result).toMatchObject({ claimed: true, convoyStatus: 'CANCELLED' });
    });

    it('given a claimed push and a close, when a new merge of the rig claims (the first push was lost), then it is aborted', () => {
      spec()
        .given(historyOf([...prepared(), claim(RIG_API), close()]))
        .when(claim(RIG_API, 1, sha('d')))
        .then([{ type: 'RigLandingAborted', data: { rigId: RIG_API, attempt: 1, reason: CLOSED_FIRST } }]);
    });

    it('given a claimed push and a close, when the push fails, then no landing attempt follows: the landing is recorded as aborted', () => {
      spec()
        .given(historyOf([...prepared(), claim(RIG_API), close()]))
        .when(failOn(RIG_API, 1, 'api: main moved while the landing was being pushed; it was not pushed'))
        .then([
          {
            type: 'RigLandingAborted',
            data: { rigId: RIG_API, attempt: 1, reason: `${CLOSED_FIRST}: api: main moved while the landing was being pushed; it was not pushed` },
          },
        ]);
    });

    it('given a claimed push, a close and its failure, when the landing is reported, then it is a conflict', () => {
      spec()
        .given(historyOf([...prepared(), claim(RIG_API), close(), failOn(RIG_API, 1, 'main moved')]))
        .when(rigLanded(RIG_API))
        .thenThrows('CONFLICT', /rig .* had no landing push under way when it was closed/);
    });

    it('given a claimed push and a close, when the other rig reports a failure, then it is a conflict', () => {
      spec()
        .given(historyOf([...prepared(), claim(RIG_API), close()]))
        .when(failOn(RIG_WEB, 1, 'trunk moved'))
        .thenThrows('CONFLICT', /had no landing push under way/);
    });
  });
});
