import type { Hold } from './holds.model';

/** Of the holds on one subject (one per service at most), the one that began first; null when none. */
export function earliestHold(holds: readonly Hold[]): Hold | null {
  return holds.reduce<Hold | null>((first, h) => (first === null || h.since.getTime() < first.since.getTime() ? h : first), null);
}
