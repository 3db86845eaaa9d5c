import { commandIds } from '@gastown/contracts';
import type { RigRepository } from '../git/rig.repository';
import type { ConvoyReport } from '../jobs/convoy.commands';

export interface ReviewedBead {
  beadId: string;
  attempt: number;
  branch: string;
}

export function beadMerged(bead: ReviewedBead, mergeCommit: string, batchId?: string): ConvoyReport {
  return {
    type: 'RecordBeadMerged',
    commandId: commandIds.recordBeadMerged(bead.beadId, bead.attempt),
    data: { beadId: bead.beadId, attempt: bead.attempt, mergeCommit, ...(batchId ? { batchId } : {}) },
  };
}

export function beadReworked(bead: ReviewedBead, reason: string): ConvoyReport {
  return { type: 'RequestRework', commandId: commandIds.requestRework(bead.beadId, bead.attempt), data: { beadId: bead.beadId, attempt: bead.attempt, reason } };
}

/** A bead whose branch made no new merge onto its target. */
export type Unmerged = { kind: 'missing' } | { kind: 'empty' } | { kind: 'conflict'; files: string[] } | { kind: 'already-merged'; sourceTip: string };

export interface UnmergedContext {
  target: string;
  /** The target's tip the merge was tried on: what an allowed empty bead is recorded at. */
  targetTip: string;
  allowEmptyBeads: boolean;
  repository: RigRepository;
  /** What else the bead was merged onto, for a conflict's reason ("the 2 beads merged before it in batch …"). */
  conflictWith?: string;
}

/**
 * What the convoy hears of a bead that did not merge: sent back with a reason its next attempt
 * can act on, or recorded as merged when it already is (a push whose report a crash lost: the
 * merge is recorded, never made again).
 */
export async function unmergedReport(bead: ReviewedBead, outcome: Unmerged, context: UnmergedContext): Promise<ConvoyReport> {
  const { target, targetTip, allowEmptyBeads, repository, conflictWith } = context;
  const empty = () => (allowEmptyBeads ? beadMerged(bead, targetTip) : beadReworked(bead, `the branch changed nothing relative to ${target}`));
  switch (outcome.kind) {
    case 'missing':
      return beadReworked(bead, `the branch ${bead.branch} is no longer on origin; the next attempt starts from the current ${target}`);
    case 'conflict':
      return beadReworked(
        bead,
        `merge conflict with ${target}${conflictWith ? ` and ${conflictWith}` : ''} in: ${outcome.files.join(', ')} (the next attempt starts from the current ${target})`,
      );
    case 'empty':
      return empty();
    case 'already-merged': {
      const brought = await repository.broughtIn(target, outcome.sourceTip);
      return brought?.changed ? beadMerged(bead, brought.merge) : empty();
    }
  }
}
