import type { ConvoyCommandOf, NewEvent } from '@gastown/contracts';
import { DomainError, rejectInput } from '../decider/decider.error';
import { clip, quote } from './convoy.messages';
import { closedBeforePush } from './convoy.merge.decider';
import { REASON_LENGTH, requireBead, requireCommit, requireExistingConvoy, requireLiveConvoy, requireReason } from './convoy.rules';
import type { ConvoyState, MergeBatchState } from './convoy.state';

/** The most beads one batch may hold, whatever a rig asks for (MergeQueueConfig.mergeBatchMax). */
const BATCH_BEADS_MAX = 32;

/**
 * The refinery reports each batch it builds, so the queue and the history can say which batch
 * merged a bead and why another went back. A batch holds beads in review on their current
 * attempt, on one rig and one target; a bead found in a batch still open was left there by a
 * runner that stopped, and that batch is recorded as abandoned first. A bead whose push was
 * granted but never made (its target moved, or its runner died) may join a new batch: while the
 * convoy is open a grant only orders a close, and the new batch asks for its own.
 */
export function startMergeBatch(command: ConvoyCommandOf<'StartMergeBatch'>, state: ConvoyState): NewEvent[] {
  requireLiveConvoy(state, command);
  const { batchId, rigId, beads } = command.data;
  if (state.batches.has(batchId)) throw DomainError.conflict(`merge batch ${batchId} was already started`, { batchId });
  if (beads.length === 0 || beads.length > BATCH_BEADS_MAX) {
    throw rejectInput([{ path: ['beads'], value: beads.length, message: `a merge batch holds 1 to ${BATCH_BEADS_MAX} beads (it has ${beads.length})` }]);
  }
  const baseCommit = requireCommit(command.data.baseCommit, 'baseCommit');
  const seen = new Set<string>();
  // A bead reaches review only through a dispatch, which set its base branch: the first one's is the batch's target.
  const targetBranch = requireBead(state, beads[0].beadId).baseBranch ?? '';
  const entries = beads.map((entry, i) => {
    const bead = requireBead(state, entry.beadId);
    if (seen.has(bead.beadId)) throw rejectInput([{ path: ['beads', i, 'beadId'], value: bead.beadId, message: `bead ${quote(bead.title)} is listed twice` }]);
    seen.add(bead.beadId);
    const why =
      bead.status !== 'IN_REVIEW'
        ? `it is ${bead.status}`
        : bead.attempt !== entry.attempt
          ? `it is on attempt ${bead.attempt}, not ${entry.attempt}`
          : bead.rigId !== rigId
            ? `it works on rig ${bead.rigId}`
            : bead.baseBranch !== targetBranch
              ? `it merges into ${bead.baseBranch}, not ${targetBranch}`
              : null;
    if (why) {
      throw DomainError.conflict(`bead ${quote(bead.title)} cannot join merge batch ${batchId}: ${why}`, { batchId, beadId: bead.beadId, status: bead.status });
    }
    return { beadId: bead.beadId, attempt: bead.attempt, mergeCommit: requireCommit(entry.mergeCommit, `beads.${i}.mergeCommit`) };
  });
  const speculativeOn = command.data.speculativeOn ?? null;
  if (speculativeOn !== null) {
    const ahead = state.batches.get(speculativeOn);
    if (!ahead || ahead.rigId !== rigId || ahead.targetBranch !== targetBranch) {
      throw rejectInput([{ path: ['speculativeOn'], value: speculativeOn, message: `merge batch ${speculativeOn} is not a batch of rig ${rigId} into ${targetBranch}` }]);
    }
  }
  const abandoned: NewEvent[] = [...state.batches]
    .filter(([, batch]) => batch.open && batch.beads.some((entry) => seen.has(entry.beadId)))
    .map(([id, batch]) => ({
      type: 'MergeBatchEnded',
      data: { batchId: id, outcome: 'ABANDONED', mergedBeadIds: [], culpritBeadId: null, checkRuns: batch.checkRuns, reason: `merge batch ${batchId} took its beads` },
    }));
  return [
    ...abandoned,
    { type: 'MergeBatchStarted', data: { batchId, rigId, targetBranch, baseCommit, speculativeOn, beads: entries } },
  ];
}

export function recordMergeBatchCheck(command: ConvoyCommandOf<'RecordMergeBatchCheck'>, state: ConvoyState): NewEvent[] {
  const { batchId, run, beadCount, outcome, durationMs } = command.data;
  const batch = requireBatch(state, command, batchId);
  if (!batch.open) throw DomainError.conflict(`merge batch ${batchId} has ended: it takes no more check runs`, { batchId });
  const checked = requirePrefix(batch, beadCount, 'beadCount');
  const reason = command.data.reason === undefined ? null : clip(requireReason(command.data.reason), REASON_LENGTH);
  if (outcome === 'FAILED' && reason === null) throw rejectInput([{ path: ['reason'], value: undefined, message: 'a failed check run must say why' }]);
  return [
    {
      type: 'MergeBatchChecked',
      data: { batchId, run, beadIds: checked.map((entry) => entry.beadId), commit: checked[checked.length - 1].mergeCommit, outcome, durationMs, reason },
    },
  ];
}

export function endMergeBatch(command: ConvoyCommandOf<'EndMergeBatch'>, state: ConvoyState): NewEvent[] {
  const { batchId, outcome, mergedCount, checkRuns } = command.data;
  const batch = requireBatch(state, command, batchId);
  // Abandoned by a later batch while this runner was still at it: the later one tells the story.
  if (!batch.open) return [];
  const merged = mergedCount === 0 ? [] : requirePrefix(batch, mergedCount, 'mergedCount');
  const culpritBeadId = command.data.culpritBeadId ?? null;
  if (culpritBeadId !== null && !batch.beads.some((entry) => entry.beadId === culpritBeadId)) {
    throw rejectInput([{ path: ['culpritBeadId'], value: culpritBeadId, message: `bead ${culpritBeadId} is not in merge batch ${batchId}` }]);
  }
  const reason = command.data.reason === undefined ? null : clip(requireReason(command.data.reason), REASON_LENGTH);
  return [{ type: 'MergeBatchEnded', data: { batchId, outcome, mergedBeadIds: merged.map((entry) => entry.beadId), culpritBeadId, checkRuns, reason } }];
}

/**
 * The fence of a batch's push, as ClaimMergePush is for one bead: every bead of the pushed
 * prefix is granted at its merge commit in one decision, so a close is ordered before the whole
 * push (which then never happens) or after it (and the close knows those merges may still land).
 */
export function claimBatchPush(command: ConvoyCommandOf<'ClaimBatchPush'>, state: ConvoyState): NewEvent[] {
  const { batchId, beadCount } = command.data;
  const batch = requireBatch(state, command, batchId);
  if (state.status === 'CANCELLED') {
    // As for one bead: a review the close dropped, or a new merge after a claimed push failed, is recorded as aborted.
    return requirePrefix(batch, beadCount, 'beadCount').flatMap((entry): NewEvent[] => {
      const bead = requireBead(state, entry.beadId);
      const under = bead.status === 'IN_REVIEW' && bead.mergeClaim === entry.mergeCommit;
      if (under || bead.attempt !== entry.attempt || !['IN_REVIEW', 'CANCELLED'].includes(bead.status)) return [];
      return [{ type: 'BeadMergeAborted', data: { beadId: bead.beadId, attempt: bead.attempt, reason: closedBeforePush(state) } }];
    });
  }
  requireLiveConvoy(state, command);
  if (!batch.open) throw DomainError.conflict(`merge batch ${batchId} has ended: nothing of it may be pushed`, { batchId });
  return requirePrefix(batch, beadCount, 'beadCount').flatMap((entry): NewEvent[] => {
    const bead = requireBead(state, entry.beadId);
    if (bead.status !== 'IN_REVIEW' || bead.attempt !== entry.attempt) {
      throw DomainError.conflict(`bead ${quote(bead.title)} of merge batch ${batchId} is ${bead.status} on attempt ${bead.attempt}: the batch may not be pushed`, {
        batchId,
        beadId: bead.beadId,
      });
    }
    if (bead.mergeClaim === entry.mergeCommit) return [];
    return [{ type: 'BeadMergeClaimed', data: { beadId: bead.beadId, attempt: bead.attempt, mergeCommit: entry.mergeCommit, targetBranch: batch.targetBranch } }];
  });
}

/** Whether the batch's first `beadCount` beads hold their push grant, for the caller's answer. */
export function batchClaimed(state: ConvoyState, batchId: string, beadCount: number): boolean {
  const batch = state.batches.get(batchId);
  if (!batch || state.status === 'CANCELLED' || beadCount > batch.beads.length) return false;
  return batch.beads.slice(0, beadCount).every((entry) => {
    const bead = state.beads.get(entry.beadId);
    return bead?.status === 'IN_REVIEW' && bead.mergeClaim === entry.mergeCommit;
  });
}

function requireBatch(state: ConvoyState, command: ConvoyCommandOf<'RecordMergeBatchCheck' | 'EndMergeBatch' | 'ClaimBatchPush'>, batchId: string): MergeBatchState {
  requireExistingConvoy(state, command);
  const batch = state.batches.get(batchId);
  if (!batch) throw DomainError.notFound(`merge batch ${batchId} was never started in convoy ${quote(state.title)}`, { batchId });
  return batch;
}

function requirePrefix(batch: MergeBatchState, count: number, field: string): MergeBatchState['beads'] {
  if (count < 1 || count > batch.beads.length) {
    throw rejectInput([{ path: [field], value: count, message: `${field} must be between 1 and the batch's ${batch.beads.length} beads (it is ${count})` }]);
  }
  return batch.beads.slice(0, count);
}
