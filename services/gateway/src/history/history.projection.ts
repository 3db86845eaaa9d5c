import type { StoredCommit } from '@gastown/bus';
import type { EntityManager } from 'typeorm';
import { beadIdsOf } from './history.event';

/** Rows per statement: a 10,000-bead plan is one commit and becomes a handful of inserts. */
const CHUNK = 1000;

/**
 * Records the events of a convoy commit, in the projector's transaction, so the history moves
 * with the other read models and their checkpoint. Each event is kept as the stream holds it
 * (readers upcast it), so the rows do not depend on which build projected them. Town subjects
 * (token hashes, webhook secrets) are not convoy history and never get here.
 */
export async function recordConvoyHistory(tx: EntityManager, commit: StoredCommit, storedEvents: readonly unknown[]): Promise<void> {
  const rows = commit.events
    .map((event, idx) => ({ event, idx }))
    .filter(({ event }) => event.convoyId !== null)
    .map(({ event, idx }) => ({ idx, beadIds: beadIdsOf(event), event: storedEvents[idx] }));
  for (let i = 0; i < rows.length; i += CHUNK) {
    await tx.query(
      `INSERT INTO convoy_events (seq, idx, town_id, convoy_id, type, bead_ids, occurred_at, event)
       SELECT $1, (r->>'idx')::int, (r->'event'->>'townId')::uuid, (r->'event'->>'convoyId')::uuid, r->'event'->>'type',
              ARRAY(SELECT jsonb_array_elements_text(r->'beadIds'))::uuid[], (r->'event'->>'occurredAt')::timestamptz, r->'event'
       FROM jsonb_array_elements($2::jsonb) AS r`,
      [commit.seq, JSON.stringify(rows.slice(i, i + CHUNK))],
    );
  }
}
