import type { ConvoyDetail } from '@gastown/gateway-client';

/**
 * What a model needs right after planning: the id to follow, the shape it was given (waves,
 * merge mode) and the next call to make.
 */
export function summarizeCreatedConvoy(convoy: ConvoyDetail): string {
  const titleOf = new Map(convoy.beads.map((b) => [b.id, `"${b.title}"`]));
  const beads = `${convoy.beads.length} bead${convoy.beads.length === 1 ? '' : 's'}`;
  const waves = convoy.waves.length > 1 ? ` in ${convoy.waves.length} waves` : '';
  const mode =
    convoy.mergeMode === 'REVIEW_THEN_LAND'
      ? `REVIEW_THEN_LAND${convoy.featureBranch ? ` on feature branch ${convoy.featureBranch}` : ''}`
      : 'REVIEW_AND_MERGE (each bead merges to the default branch once reviewed)';
  const first = (convoy.waves[0] ?? []).map((id) => titleOf.get(id) ?? id);
  const next =
    convoy.status === 'STAGED'
      ? 'It is STAGED: nothing runs until a person has reviewed the plan and gt_convoy_start releases it.'
      : `It is ${convoy.status}; agents start with ${first.length > 3 ? `${first.slice(0, 3).join(', ')} and ${first.length - 3} more` : first.join(', ')}.`;
  return `Created convoy "${convoy.title}" (id ${convoy.id}) with ${beads}${waves}, ${mode}. ${next} Follow it with gt_convoy_status.`;
}
