import { createHash } from 'node:crypto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Name-based UUID (RFC 9562 version 5). Ids derived from a command id make a retried command
 * address the same convoy and beads, which is what makes creation idempotent end to end.
 */
export function nameUuid(namespace: string, name: string): string {
  if (!UUID.test(namespace)) throw new Error(`nameUuid: namespace "${namespace}" is not a UUID`);
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The convoy a creating command addresses: the same command id always names the same convoy. */
export function convoyIdFor(townId: string, commandId: string): string {
  return nameUuid(townId, `convoy:${commandId}`);
}

/** Bead ids follow from the convoy and the task's position in the plan. */
export function beadIdFor(convoyId: string, index: number): string {
  return nameUuid(convoyId, `bead:${index}`);
}
