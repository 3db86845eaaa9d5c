import type { ConvoyState } from './convoy.state';

/** Bead counts by bucket; the buckets partition `total`. */
export interface ConvoyProgress {
  total: number;
  /** OPEN and not held. */
  open: number;
  inProgress: number;
  inReview: number;
  closed: number;
  failed: number;
  cancelled: number;
  /** OPEN but held by a failed or cancelled bead upstream. */
  blocked: number;
}

export function progressOf(state: ConvoyState): ConvoyProgress {
  const progress: ConvoyProgress = {
    total: 0,
    open: 0,
    inProgress: 0,
    inReview: 0,
    closed: 0,
    failed: 0,
    cancelled: 0,
    blocked: 0,
  };
  for (const bead of state.beads.values()) {
    progress.total++;
    switch (bead.status) {
      case 'OPEN':
        if (state.held.has(bead.beadId)) progress.blocked++;
        else progress.open++;
        break;
      case 'IN_PROGRESS':
        progress.inProgress++;
        break;
      case 'IN_REVIEW':
        progress.inReview++;
        break;
      case 'CLOSED':
        progress.closed++;
        break;
      case 'FAILED':
        progress.failed++;
        break;
      case 'CANCELLED':
        progress.cancelled++;
        break;
    }
  }
  return progress;
}
