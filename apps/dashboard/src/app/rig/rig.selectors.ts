import { beadState, type BeadState, type ConvoyProgress, type ConvoyStatus } from '../gateway/gateway.types';
import type { RigBead, RigConvoy, RigConvoyView } from './rig.model';

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
