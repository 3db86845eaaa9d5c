import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type AttemptOutcome = 'RUNNING' | 'SUBMITTED' | 'MERGED' | 'REWORK' | 'FAILED' | 'LOST' | 'INTERRUPTED' | 'CANCELLED';

/** One dispatch of a bead to an agent, from BeadDispatched until its outcome is known. */
@Entity({ name: 'bead_attempts' })
@Index('ix_bead_attempts_convoy', ['convoyId'])
export class BeadAttemptRow {
  @PrimaryColumn('uuid', { name: 'bead_id' }) beadId!: string;
  @PrimaryColumn('integer') number!: number;
  @Column('uuid', { name: 'town_id' }) townId!: string;
  @Column('uuid', { name: 'convoy_id' }) convoyId!: string;
  @Column('text', { name: 'agent_id' }) agentId!: string;
  @Column('text', { name: 'agent_name' }) agentName!: string;
  @Column('text') branch!: string;
  @Column('timestamptz', { name: 'dispatched_at' }) dispatchedAt!: Date;
  @Column('timestamptz', { name: 'started_at', nullable: true }) startedAt!: Date | null;
  /** When the agent's part ended: submitted, failed, lost or cancelled. */
  @Column('timestamptz', { name: 'ended_at', nullable: true }) endedAt!: Date | null;
  @Column('text') outcome!: AttemptOutcome;
  @Column('integer', { name: 'exit_code', nullable: true }) exitCode!: number | null;
  /** The rework, failure or loss reason. */
  @Column('text', { nullable: true }) reason!: string | null;
  @Column('text', { name: 'head_commit', nullable: true }) headCommit!: string | null;
  /** The end of the agent's output as the event recorded it (secrets already redacted). */
  @Column('text', { name: 'output_tail', nullable: true }) outputTail!: string | null;
}
