import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { ConvoyStatus, MergeMode } from '@gastown/contracts';

@Entity({ name: 'convoys' })
@Index('ix_convoys_town_created', ['townId', 'createdAt'])
export class ConvoyRow {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'town_id' }) townId!: string;
  @Column('text') title!: string;
  @Column('text') slug!: string;
  @Column('text') status!: ConvoyStatus;
  @Column('text', { name: 'merge_mode' }) mergeMode!: MergeMode;
  @Column('boolean') staged!: boolean;
  @Column('boolean') parallel!: boolean;
  @Column('uuid', { name: 'default_rig_id' }) defaultRigId!: string;
  /** Every rig that holds a bead of the convoy (for the rigId filter). */
  @Column('uuid', { name: 'rig_ids', array: true }) rigIds!: string[];
  @Column('jsonb', { name: 'feature_branches' }) featureBranches!: { rigId: string; branch: string }[];
  @Column('jsonb', { default: () => "'[]'" }) landings!: StoredRigLanding[];
  @Column('text', { name: 'landed_commit', nullable: true }) landedCommit!: string | null;
  @Column('timestamptz', { name: 'landed_at', nullable: true }) landedAt!: Date | null;
  @Column('integer', { name: 'landing_attempt', default: 0 }) landingAttempt!: number;
  @Column('text', { name: 'failure_reason', nullable: true }) failureReason!: string | null;
  @Column('text', { name: 'cancel_reason', nullable: true }) cancelReason!: string | null;
  @Column('integer', { name: 'bead_count', default: 0 }) beadCount!: number;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}

/** A rig's landing record; rows written before per-rig statuses have only rigId and commit (landed). */
export interface StoredRigLanding {
  rigId: string;
  commit: string | null;
  status?: 'PENDING' | 'PUSHING' | 'LANDED' | 'FAILED';
  reason?: string | null;
}
