import { isUuid } from '../graphql/graphql.ids';

const PREFIX = 'convoy:';

/**
 * Opaque to clients; it names the last convoy of a page, and the next page starts strictly
 * after that convoy's (created_at, id), so rows created meanwhile neither repeat nor shift pages.
 */
export function encodeConvoyCursor(convoyId: string): string {
  return Buffer.from(`${PREFIX}${convoyId}`, 'utf8').toString('base64url');
}

export function decodeConvoyCursor(cursor: string): string | null {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!decoded.startsWith(PREFIX)) return null;
  const id = decoded.slice(PREFIX.length);
  return isUuid(id) ? id : null;
}

const EDGE_PREFIX = 'edge:';

/** Opaque to clients; it names the last edge of a page, and the next page starts strictly after it in (beadId, dependsOnBeadId) order. */
export function encodeEdgeCursor(edge: { beadId: string; dependsOnBeadId: string }): string {
  return Buffer.from(`${EDGE_PREFIX}${edge.beadId}:${edge.dependsOnBeadId}`, 'utf8').toString('base64url');
}

export function decodeEdgeCursor(cursor: string): { beadId: string; dependsOnBeadId: string } | null {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!decoded.startsWith(EDGE_PREFIX)) return null;
  const [beadId, dependsOnBeadId, ...rest] = decoded.slice(EDGE_PREFIX.length).split(':');
  return rest.length === 0 && isUuid(beadId) && isUuid(dependsOnBeadId ?? '') ? { beadId, dependsOnBeadId } : null;
}
