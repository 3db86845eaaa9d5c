import { Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import { DataSource } from 'typeorm';
import type { GatewayContext } from '../graphql/graphql.context';
import { isUuid } from '../graphql/graphql.ids';
import type { MergeQueueStatus } from '../read-models/merge-queue.entity';

export interface MergeQueueEntryView {
  readonly position: number;
  readonly beadId: string;
  readonly attempt: number;
  readonly status: MergeQueueStatus;
  readonly batch: { readonly id: string; readonly speculativeOn: string | null; readonly checkRuns: number } | null;
  readonly submittedAt: Date;
  readonly startedAt: Date | null;
}

interface QueueRow {
  rig_id: string;
  position: string;
  bead_id: string;
  attempt: number;
  status: MergeQueueStatus;
  batch_id: string | null;
  speculative_on: string | null;
  batch_check_runs: number | null;
  submitted_at: Date;
  started_at: Date | null;
}

function toEntry(row: QueueRow): MergeQueueEntryView {
  return {
    position: Number(row.position),
    beadId: row.bead_id,
    attempt: row.attempt,
    status: row.status,
    batch: row.batch_id === null ? null : { id: row.batch_id, speculativeOn: row.speculative_on, checkRuns: row.batch_check_runs ?? 0 },
    submittedAt: row.submitted_at,
    startedAt: row.started_at,
  };
}

@Injectable()
export class MergeQueueLoaders {
  constructor(private readonly db: DataSource) {}

  /**
   * The first `first` entries of each rig's queue, of the request's town only: another town's rig
   * reads as an empty queue, though its rig never resolves in the first place. Positions count
   * the whole queue, cut to the page in the database.
   */
  byRig(ctx: GatewayContext, first: number): DataLoader<string, MergeQueueEntryView[]> {
    return ctx.loaders.get(
      Symbol.for(`mergeQueueByRig:${first}`),
      () =>
        new DataLoader<string, MergeQueueEntryView[]>(async (rigIds) => {
          const rows: QueueRow[] = await this.db.query(
            `SELECT * FROM (
               SELECT rig_id, bead_id, attempt, status, batch_id, speculative_on, batch_check_runs, submitted_at, started_at,
                      row_number() OVER (PARTITION BY rig_id ORDER BY submitted_at, bead_idx, bead_id) AS position
                 FROM merge_queue WHERE town_id = $1 AND rig_id = ANY($2::uuid[])
             ) queued
             WHERE position <= $3 ORDER BY rig_id, position`,
            [ctx.town.id, rigIds.filter(isUuid), first],
          );
          const byRig = new Map<string, MergeQueueEntryView[]>();
          for (const row of rows) {
            const entries = byRig.get(row.rig_id) ?? [];
            entries.push(toEntry(row));
            byRig.set(row.rig_id, entries);
          }
          return rigIds.map((id) => byRig.get(id) ?? []);
        }),
    );
  }
}
