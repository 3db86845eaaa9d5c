import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** WAITING for a batch; CHECKING in a batch whose checks run; BISECTING in a batch that went red and is being split. */
export type MergeQueueStatus = 'WAITING' | 'CHECKING' | 'BISECTING';

/**
 * One bead in its rig's refinery queue, from its submission until it is merged, sent back,
 * failed, cancelled or its merge aborted. A bead is in at most one queue, on its current attempt.
 */
@Entity({ name: 'merge_queue' })
@Index('ix_merge_queue_rig', ['townId', 'rigId', 'submittedAt'])
@Index('ix_merge_queue_batch', ['batchId'], { where: 'batch_id IS NOT NULL' })
@Index('ix_merge_queue_convoy', ['convoyId'])
export class MergeQueueRow {
  @PrimaryColumn('uuid', { name: 'bead_id' }) beadId!: string;
  @Column('uuid', { name: 'town_id' }) townId!: string;
  @Column('uuid', { name: 'rig_id' }) rigId!: string;
  @Column('uuid', { name: 'convoy_id' }) convoyId!: string;
  /** The bead's place in its plan: orders beads handed in by the same decision. */
  @Column('integer', { name: 'bead_idx' }) beadIdx!: number;
  @Column('integer') attempt!: number;
  @Column('timestamptz', { name: 'submitted_at' }) submittedAt!: Date;
  @Column('text') status!: MergeQueueStatus;
  @Column('uuid', { name: 'batch_id', nullable: true }) batchId!: string | null;
  /** The batch ahead whose checks were still running when this one was built on top of it. */
  @Column('uuid', { name: 'speculative_on', nullable: true }) speculativeOn!: string | null;
  /** Check runs the batch has reported so far (bisection runs included). */
  @Column('integer', { name: 'batch_check_runs', nullable: true }) batchCheckRuns!: number | null;
  /** When its batch started. */
  @Column('timestamptz', { name: 'started_at', nullable: true }) startedAt!: Date | null;
}
