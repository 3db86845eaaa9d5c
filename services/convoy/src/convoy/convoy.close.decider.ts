import { textProblem, type ConvoyCommandOf, type NewEvent } from '@gastown/contracts';
import { rejectInput } from '../decider/decider.error';
import { orderedBeads, REASON_LENGTH, requireExistingConvoy, requireLiveConvoy, requireReason } from './convoy.rules';
import type { BeadState, ConvoyState } from './convoy.state';

export function closeConvoy(command: ConvoyCommandOf<'CloseConvoy'>, state: ConvoyState): NewEvent[] {
  requireExistingConvoy(state, command);
  const reason = requireReason(command.data.reason);
  const problem = textProblem('reason', command.data.reason, 'reason', REASON_LENGTH);
  if (problem) throw rejectInput([{ path: ['reason'], value: problem.codePoint ?? reason.length, message: problem.message }]);
  if (state.status === 'CANCELLED') return [];
  requireLiveConvoy(state, command);
  const beads = orderedBeads(state);
  const stopAgents = beads
    .filter((b) => b.status === 'IN_PROGRESS' && b.agent)
    .map((b) => ({ beadId: b.beadId, agentId: b.agent?.id ?? '', attempt: b.attempt }));
  // A bead whose merge push was granted stays IN_REVIEW: git may already hold it, so only its
  // outcome (BeadMerged or BeadMergeAborted) may close it.
  const pushing = (b: BeadState) => b.status === 'IN_REVIEW' && b.mergeClaim !== null;
  const dropReviews = beads.filter((b) => b.status === 'IN_REVIEW' && !pushing(b)).map((b) => b.beadId);
  const cancelled: NewEvent[] = beads
    .filter((b) => b.status !== 'CLOSED' && b.status !== 'CANCELLED' && !pushing(b))
    .map((b) => ({ type: 'BeadCancelled', data: { beadId: b.beadId, previousStatus: b.status } }));
  return [
    { type: 'ConvoyCancelled', data: { reason, stopAgents, dropReviews, dropLanding: state.status === 'LANDING' } },
    ...cancelled,
  ];
}
