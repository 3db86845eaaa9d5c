import type { BeadDetail, ConvoyDetail } from '@gastown/gateway-client';

const name = (bead: { index: number; title: string }) => `#${bead.index} "${bead.title}"`;

export function summarizeRetriedBead(bead: BeadDetail): string {
  const attempts = bead.attemptCount > 0 ? ` after ${bead.attemptCount} attempt${bead.attemptCount === 1 ? '' : 's'}` : '';
  return (
    `Bead ${name(bead)} is ${bead.status} again${attempts}: an agent takes it as soon as its blockers are merged, ` +
    'and the beads it was holding are released. Follow it with gt_convoy_status.'
  );
}

/** After adding or removing a dependency: what the bead waits on now, by index and title. */
export function summarizeDependencies(bead: BeadDetail, convoy: ConvoyDetail, change: { added: boolean; otherId: string }): string {
  const byId = new Map(convoy.beads.map((b) => [b.id, b]));
  const other = byId.get(change.otherId);
  const otherName = other ? name(other) : change.otherId;
  const waits = bead.blockedBy.map(({ id }) => byId.get(id)).filter((b) => b !== undefined);
  const now = waits.length ? `it now waits on ${waits.map(name).join(', ')}` : 'it now waits on nothing';
  const verb = change.added ? 'waits on' : 'no longer waits on';
  return `Bead ${name(bead)} ${verb} ${otherName}; ${now}.`;
}
