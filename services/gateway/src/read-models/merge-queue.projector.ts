import type { StoredCommit } from '@gastown/bus';
import type { EventMeta, EventType } from '@gastown/contracts';
import type { EntityManager } from 'typeorm';
import { each, runsOf, type RunHandler } from './event-runs.projector';

/**
 * Projects each rig's refinery queue (merge_queue) inside the transaction that applies the
 * commit, so under the same checkpoint compare-and-set as every other read model. Every
 * statement is scoped by the commit's convoy: a batch id or bead id of another convoy, let alone
 * another town, matches nothing.
 */
export async function projectMergeQueue(tx: EntityManager, commit: StoredCommit): Promise<void> {
  for (const run of runsOf(commit.events)) {
    const handler = handlers[run.type] as RunHandler<EventType> | undefined;
    if (handler) await handler(tx, run.events);
  }
}

/** A resubmission after rework is a new attempt: it waits again from its own hand-in, outside any batch. */
const beadSubmitted = each<'BeadSubmitted'>(async (tx, e) => {
  await tx.query(
    `INSERT INTO merge_queue (bead_id, town_id, rig_id, convoy_id, bead_idx, attempt, submitted_at, status)
     SELECT b.id, b.town_id, b.rig_id, b.convoy_id, b.idx, $3, $4, 'WAITING' FROM beads b WHERE b.id = $1 AND b.convoy_id = $2
     ON CONFLICT (bead_id) DO UPDATE SET
       attempt = EXCLUDED.attempt, submitted_at = EXCLUDED.submitted_at, status = 'WAITING',
       batch_id = NULL, speculative_on = NULL, batch_check_runs = NULL, started_at = NULL`,
    [e.data.beadId, e.convoyId, e.data.attempt, e.occurredAt],
  );
});

const batchStarted = each<'MergeBatchStarted'>(async (tx, e) => {
  await tx.query(
    `UPDATE merge_queue SET batch_id = $3, speculative_on = $4, status = 'CHECKING', batch_check_runs = 0, started_at = $5
     WHERE bead_id = ANY($1::uuid[]) AND convoy_id = $2`,
    [e.data.beads.map((b) => b.beadId), e.convoyId, e.data.batchId, e.data.speculativeOn, e.occurredAt],
  );
});

/**
 * Runs of one batch may run at once (checkConcurrency) and report out of order: the count is the
 * highest run reported. A red run means the batch is being bisected until it ends.
 */
const batchChecked = each<'MergeBatchChecked'>(async (tx, e) => {
  await tx.query(
    `UPDATE merge_queue SET batch_check_runs = GREATEST(COALESCE(batch_check_runs, 0), $3),
            status = CASE WHEN $4 = 'FAILED' THEN 'BISECTING' ELSE status END
     WHERE batch_id = $1 AND convoy_id = $2`,
    [e.data.batchId, e.convoyId, e.data.run, e.data.outcome],
  );
});

/**
 * Its merged beads and its culprit leave through their own events; whoever is still in it waits
 * for the next batch. A batch built on top of one that merged now stands on a real base, so it
 * is no longer shown as speculative.
 */
const batchEnded = each<'MergeBatchEnded'>(async (tx, e) => {
  await tx.query(
    `UPDATE merge_queue SET status = 'WAITING', batch_id = NULL, speculative_on = NULL, batch_check_runs = NULL, started_at = NULL
     WHERE batch_id = $1 AND convoy_id = $2`,
    [e.data.batchId, e.convoyId],
  );
  if (e.data.outcome === 'MERGED') {
    await tx.query(`UPDATE merge_queue SET speculative_on = NULL WHERE speculative_on = $1 AND convoy_id = $2`, [e.data.batchId, e.convoyId]);
  }
});

type Leaving = 'BeadMerged' | 'BeadReworkRequested' | 'BeadFailed' | 'BeadCancelled' | 'BeadMergeAborted';

/** A closed convoy cancels thousands of beads in one decision: they leave in one statement per convoy. */
const beadsLeave = <K extends Leaving>(): RunHandler<K> => async (tx, events) => {
  const byConvoy = new Map<string, string[]>();
  for (const e of events as readonly (EventMeta & { data: { beadId: string } })[]) {
    const group = byConvoy.get(e.convoyId as string);
    if (group) group.push(e.data.beadId);
    else byConvoy.set(e.convoyId as string, [e.data.beadId]);
  }
  for (const [convoyId, beadIds] of byConvoy) {
    await tx.query(`DELETE FROM merge_queue WHERE bead_id = ANY($1::uuid[]) AND convoy_id = $2`, [beadIds, convoyId]);
  }
};

/** The refinery takes nothing more from a closed convoy; a merge it was granted before the close lands without queueing. */
const convoyCancelled = each<'ConvoyCancelled'>(async (tx, e) => {
  await tx.query(`DELETE FROM merge_queue WHERE convoy_id = $1`, [e.convoyId]);
});

const handlers: { [K in EventType]?: RunHandler<K> } = {
  BeadSubmitted: beadSubmitted,
  MergeBatchStarted: batchStarted,
  MergeBatchChecked: batchChecked,
  MergeBatchEnded: batchEnded,
  BeadMerged: beadsLeave<'BeadMerged'>(),
  BeadReworkRequested: beadsLeave<'BeadReworkRequested'>(),
  BeadFailed: beadsLeave<'BeadFailed'>(),
  BeadCancelled: beadsLeave<'BeadCancelled'>(),
  BeadMergeAborted: beadsLeave<'BeadMergeAborted'>(),
  ConvoyCancelled: convoyCancelled,
};
