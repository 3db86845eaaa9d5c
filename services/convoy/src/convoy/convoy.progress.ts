import { emptyProgress, type ConvoyProgress } from '@gastown/contracts';
import type { ConvoyState } from './convoy.state';

export type { ConvoyProgress } from '@gastown/contracts';

export function progressOf(state: ConvoyState): ConvoyProgress {
  const progress = emptyProgress();
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
