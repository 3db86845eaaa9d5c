import { MergeMode } from '@gastown/contracts';
import type { ConvoyRow } from '../read-models/read-models.entities';

type Loose = Record<string, unknown>;

const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * The row of a convoy whose first commit the projector holds, from that commit's events as stored
 * (not validated: they are what could not be applied). Whatever is missing or malformed reads as
 * unknown (empty, the defaults of a new convoy), never as something the convoy did not say.
 */
export function heldConvoyRow(townId: string, convoyId: string, storedAt: Date, events: readonly unknown[]): ConvoyRow {
  const created = events.find((e): e is Loose => isObject(e) && e['type'] === 'ConvoyCreated');
  const data: Loose = created && isObject(created['data']) ? created['data'] : {};
  const staged = data['staged'] === true;
  const mergeMode = MergeMode.safeParse(data['mergeMode']);
  const rigIds = new Set<string>();
  const defaultRigId = text(data['defaultRigId']);
  if (defaultRigId) rigIds.add(defaultRigId);
  for (const e of events) {
    const rigId = isObject(e) && e['type'] === 'BeadCreated' && isObject(e['data']) ? text(e['data']['rigId']) : null;
    if (rigId) rigIds.add(rigId);
  }
  const branches = Array.isArray(data['featureBranches']) ? data['featureBranches'] : [];
  const at = text(created?.['occurredAt']);
  const createdAt = at && !Number.isNaN(Date.parse(at)) ? new Date(at) : storedAt;
  return {
    id: convoyId,
    townId,
    title: text(data['title']) ?? '',
    slug: text(data['slug']) ?? '',
    status: staged ? 'STAGED' : 'ACTIVE',
    mergeMode: mergeMode.success ? mergeMode.data : 'REVIEW_THEN_LAND',
    staged,
    parallel: data['parallel'] === true,
    defaultRigId: defaultRigId ?? '',
    rigIds: [...rigIds],
    featureBranches: branches.flatMap((b) => (isObject(b) && text(b['rigId']) && text(b['branch']) ? [{ rigId: String(b['rigId']), branch: String(b['branch']) }] : [])),
    landings: [],
    landedCommit: null,
    landedAt: null,
    landingAttempt: 0,
    failureReason: null,
    cancelReason: null,
    beadCount: 0,
    createdAt,
    updatedAt: createdAt,
  };
}
