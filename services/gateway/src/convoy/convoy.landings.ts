import type { ConvoyRow } from '../read-models/read-models.entities';
import type { RigLanding } from './convoy.model';

/**
 * Every rig's landing, in the convoy's rig order: a REVIEW_THEN_LAND rig with no record yet is
 * PENDING, and a record stored before per-rig statuses (rigId and commit only) is LANDED.
 */
export function rigLandingsOf(convoy: ConvoyRow): RigLanding[] {
  const stored = new Map(convoy.landings.map((l) => [l.rigId, l]));
  const rigIds = [...new Set([...convoy.featureBranches.map((b) => b.rigId), ...stored.keys()])];
  return rigIds.map((rigId) => {
    const record = stored.get(rigId);
    const commit = record?.commit ?? null;
    return { rigId, status: record?.status ?? (commit ? 'LANDED' : 'PENDING'), commit, reason: record?.reason ?? null };
  });
}
