import { beadState, type BeadState, type ConvoyProgress, type ConvoyStatus } from '../gateway/gateway.types';
import type { MergeQueueEntry, RigBead, RigConvoy, RigConvoyView } from './rig.model';

const FINISHED: ReadonlySet<ConvoyStatus> = new Set(['LANDED', 'FAILED', 'CANCELLED']);

/** What needs a person first: trouble, then work under way, then waiting, then done. */
const STATE_ORDER: readonly BeadState[] = ['FAILED', 'BLOCKED', 'IN_PROGRESS', 'IN_REVIEW', 'OPEN', 'CLOSED', 'CANCELLED'];

const PROGRESS_KEY: Record<BeadState, Exclude<keyof ConvoyProgress, 'total'>> = {
  OPEN: 'open',
  BLOCKED: 'blocked',
  IN_PROGRESS: 'inProgress',
  IN_REVIEW: 'inReview',
  CLOSED: 'closed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
};

/** Counted by the gateway over all the convoy's beads, not only the listed ones. */
export function holdsBeadOn(convoy: RigConvoy): boolean {
  return convoy.rigProgress.total > 0;
}

/** Bead counts by state, like ConvoyProgress, over some beads only. */
export function progressOf(beads: readonly RigBead[]): ConvoyProgress {
  const progress: ConvoyProgress = { total: beads.length, open: 0, blocked: 0, inProgress: 0, inReview: 0, closed: 0, failed: 0, cancelled: 0 };
  for (const bead of beads) {
    progress[PROGRESS_KEY[beadState(bead)]]++;
  }
  return progress;
}

/**
 * The rig's convoys with only the rig's beads: those still in flight first, each group newest
 * first; inside a convoy, the beads that need attention first, plan order otherwise.
 */
export function rigConvoys(convoys: readonly RigConvoy[], rigId: string): RigConvoyView[] {
  return convoys
    .filter((c) => holdsBeadOn(c))
    .map((c) => {
      const own = c.beads.filter((b) => b.rigId === rigId);
      const beads = own
        .map((b, plan) => ({ ...b, state: beadState(b), plan }))
        .sort((a, b) => STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state) || a.plan - b.plan)
        .map(({ plan: _plan, ...b }) => b);
      return {
        id: c.id,
        title: c.title,
        status: c.status,
        mergeMode: c.mergeMode,
        createdAt: c.createdAt,
        inFlight: !FINISHED.has(c.status),
        convoyTotal: c.progress.total,
        rigProgress: c.rigProgress,
        beads,
      };
    })
    .sort((a, b) => Number(b.inFlight) - Number(a.inFlight) || b.createdAt.localeCompare(a.createdAt));
}

/** When a bead's work was handed in: the end of its newest SUBMITTED attempt. */
export function submittedAt(bead: RigBead): string | null {
  const submitted = bead.attempts.filter((a) => a.outcome === 'SUBMITTED').sort((a, b) => b.number - a.number)[0];
  return submitted?.endedAt ?? null;
}

/**
 * The rig's beads waiting for review, next to merge first. The refinery takes merge jobs in
 * the order they were handed in; a bead whose hand-in time is unknown goes last.
 */
export function mergeQueue(convoys: readonly RigConvoy[], rigId: string): MergeQueueEntry[] {
  return convoys
    .flatMap((c) => c.beads.filter((b) => b.rigId === rigId && b.status === 'IN_REVIEW').map((bead) => ({ bead, convoyTitle: c.title, submittedAt: submittedAt(bead) })))
    .sort((a, b) => compareTimes(a.submittedAt, b.submittedAt) || a.bead.id.localeCompare(b.bead.id))
    .map((entry, i) => ({ position: i + 1, ...entry }));
}

function compareTimes(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return Date.parse(a) - Date.parse(b);
}
