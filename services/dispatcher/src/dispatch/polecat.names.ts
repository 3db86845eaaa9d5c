import type { AgentRef } from '@gastown/contracts';

/**
 * Polecats keep friendly names that an operator can follow across logs, branches and the
 * GraphQL API. The list is fixed so every dispatcher replica names the same slot alike;
 * past its end the names come round again with a number (Nux-2, Slit-2, …).
 */
export const POLECAT_NAMES: readonly string[] = [
  'Nux',
  'Slit',
  'Toast',
  'Capable',
  'Furiosa',
  'Max',
  'Ace',
  'Morsov',
  'Rictus',
  'Cheedo',
  'Dag',
  'Angharad',
  'Valkyrie',
  'Keeper',
  'Corpus',
  'Organic',
];

export function polecatName(slot: number): string {
  const base = POLECAT_NAMES[slot % POLECAT_NAMES.length];
  const round = Math.floor(slot / POLECAT_NAMES.length) + 1;
  return round === 1 ? base : `${base}-${round}`;
}

/** The agent id is scoped to the rig, so Nux of one rig is never mistaken for Nux of another. */
export function polecatOf(rigId: string, slot: number): AgentRef {
  const name = polecatName(slot);
  return { id: `${rigId.slice(0, 8)}-${name.toLowerCase()}`, name };
}

/** The lowest-numbered polecat of the rig whose id is not busy. */
export function idlePolecat(rigId: string, busyAgentIds: ReadonlySet<string>): AgentRef {
  for (let slot = 0; ; slot++) {
    const polecat = polecatOf(rigId, slot);
    if (!busyAgentIds.has(polecat.id)) return polecat;
  }
}
