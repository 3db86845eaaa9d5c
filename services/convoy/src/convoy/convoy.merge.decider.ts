import type { ConvoyCommandOf, NewEvent } from '@gastown/contracts';
import { DomainError, rejectInput } from '../decider/decider.error';
import { clip, quote } from './convoy.messages';
import {
  budgetSpent,
  REASON_LENGTH,
  requireAttemptBead,
  requireAttemptOf,
  requireCommit,
  requireExistingConvoy,
  requireReason,
  requireStatus,
} from './convoy.rules';
import type { BeadState, ConvoyState } from './convoy.state';

/**
 * The fence of every bead merge push: decided on the convoy's latest sequence like every command,
 * so it and CloseConvoy are ordered. Granted while the convoy is open; once it is closed, the
 * push must not happen and the history records that it was stopped.
 */
export function claimMergePush(command: ConvoyCommandOf<'ClaimMergePush'>, state: ConvoyState): NewEvent[] {
  const mergeCommit = requireCommit(command.data.mergeCommit, 'mergeCommit');
  if (state.status !== 'CANCELLED') {
    const bead = requireAttemptBead(state, command, ['IN_REVIEW']);
    if (bead.mergeClaim === mergeCommit) return [];
    // A bead reaches review only through a dispatch, which set its base branch.
    const targetBranch = bead.baseBranch as string;
    return [{ type: 'BeadMergeClaimed', data: { beadId: bead.beadId, attempt: bead.attempt, mergeCommit, targetBranch } }];
  }
  requireExistingConvoy(state, command);
  const bead = requireAttemptOf(state, command);
  if (bead.status === 'IN_REVIEW' && bead.mergeClaim === mergeCommit) return [];
  // The bead's review was dropped by the close, or its claimed push failed and this is a new merge.
  requireStatus(bead, ['IN_REVIEW', 'CANCELLED'], command.type);
  return [{ type: 'BeadMergeAborted', data: { beadId: bead.beadId, attempt: bead.attempt, reason: closedBeforePush(state) } }];
}

export function recordBeadMerged(command: ConvoyCommandOf<'RecordBeadMerged'>, state: ConvoyState): NewEvent[] {
  const bead = state.status === 'CANCELLED' ? requireClaimedAfterClose(state, command) : requireAttemptBead(state, command, ['IN_REVIEW']);
  const mergeCommit = requireCommit(command.data.mergeCommit, 'mergeCommit');
  // A bead reaches review only through a dispatch, which set its base branch.
  const targetBranch = bead.baseBranch as string;
  const batchId = command.data.batchId ?? null;
  if (batchId !== null && !state.batches.get(batchId)?.beads.some((entry) => entry.beadId === bead.beadId && entry.attempt === bead.attempt)) {
    throw rejectInput([{ path: ['batchId'], value: batchId, message: `bead ${quote(bead.title)} on attempt ${bead.attempt} is not in merge batch ${batchId}` }]);
  }
  return [
    {
      type: 'BeadMerged',
      data: { beadId: bead.beadId, attempt: bead.attempt, mergeCommit, targetBranch, batchId },
    },
  ];
}

export function requestRework(command: ConvoyCommandOf<'RequestRework'>, state: ConvoyState): NewEvent[] {
  if (state.status === 'CANCELLED') {
    // The claimed merge did not land after the close: no rework follows, the merge is recorded as aborted.
    const claimed = requireClaimedAfterClose(state, command);
    const why = requireReason(command.data.reason);
    return [{ type: 'BeadMergeAborted', data: { beadId: claimed.beadId, attempt: claimed.attempt, reason: clip(`${closedBeforePush(state)}: ${why}`, REASON_LENGTH) } }];
  }
  const bead = requireAttemptBead(state, command, ['IN_REVIEW']);
  const reason = requireReason(command.data.reason);
  const rework: NewEvent = { type: 'BeadReworkRequested', data: { beadId: bead.beadId, attempt: bead.attempt, reason } };
  // Review that keeps sending a bead back is a failure too: without a cap it would loop forever.
  return budgetSpent(state, bead)
    ? [
        rework,
        {
          type: 'BeadFailed',
          data: {
            beadId: bead.beadId,
            attempt: bead.attempt,
            reason: clip(`review sent it back on its last allowed attempt: ${reason}`, REASON_LENGTH),
            agentResult: null,
          },
        },
      ]
    : [rework];
}

export const closedBeforePush = (state: ConvoyState) => `convoy ${quote(state.title)} was closed before this merge was pushed`;

/** In a closed convoy only a bead whose push was granted before the close may still report its merge's outcome. */
function requireClaimedAfterClose(state: ConvoyState, command: ConvoyCommandOf<'RecordBeadMerged' | 'RequestRework'>): BeadState {
  requireExistingConvoy(state, command);
  const bead = requireAttemptOf(state, command);
  if (bead.status !== 'IN_REVIEW' || bead.mergeClaim === null) {
    throw DomainError.conflict(
      `convoy ${quote(state.title)} is CANCELLED and bead ${quote(bead.title)} had no merge under way when it was closed: it accepts no ${command.type}`,
      { status: state.status, beadId: bead.beadId, beadStatus: bead.status },
    );
  }
  return bead;
}
