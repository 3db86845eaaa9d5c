import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { BeadStatus } from '@gastown/contracts';

@Entity({ name: 'beads' })
@Index('ix_beads_convoy_idx', ['convoyId', 'idx'], { unique: true })
@Index('ix_beads_town_rig', ['townId', 'rigId'])
@Index('ix_beads_ready', ['townId', 'rigId'], { where: 'ready' })
@Index('ix_beads_merge_claimed', ['convoyId'], { where: "merge_claimed_attempt IS NOT NULL AND status = 'IN_REVIEW'" })
export class BeadRow {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'town_id' }) townId!: string;
  @Column('uuid', { name: 'convoy_id' }) convoyId!: string;
  @Column('uuid', { name: 'rig_id' }) rigId!: string;
  /** Position of the task in the plan; dependsOn indices refer to it. */
  @Column('integer') idx!: number;
  @Column('text') title!: string;
  @Column('text') body!: string;
  @Column('text') status!: BeadStatus;
  /** OPEN, convoy ACTIVE, every blocker CLOSED: what the dispatcher may take. */
  @Column('boolean', { default: false }) ready!: boolean;
  /** Held because an upstream bead FAILED or was CANCELLED. */
  @Column('boolean', { default: false }) blocked!: boolean;
  @Column('text', { name: 'blocked_reason', nullable: true }) blockedReason!: string | null;
  @Column('uuid', { name: 'held_by', array: true, default: () => "'{}'" }) heldBy!: string[];
  @Column('text', { name: 'assignee_id', nullable: true }) assigneeId!: string | null;
  @Column('text', { nullable: true }) assignee!: string | null;
  @Column('text', { nullable: true }) branch!: string | null;
  @Column('text', { name: 'base_branch', nullable: true }) baseBranch!: string | null;
  @Column('text', { name: 'head_commit', nullable: true }) headCommit!: string | null;
  @Column('text', { name: 'merge_commit', nullable: true }) mergeCommit!: string | null;
  @Column('integer', { default: 0 }) attempts!: number;
  /**
   * The attempt whose merge push the refinery was last granted (BeadMergeClaimed). Its merge is
   * under way while the bead is IN_REVIEW on that attempt; leaving review ends it, and a later
   * review is a later attempt, so it is never cleared.
   */
  @Column('integer', { name: 'merge_claimed_attempt', nullable: true }) mergeClaimedAttempt!: number | null;
  /** The last rework or failure reason, shown to people and to the next attempt. */
  @Column('text', { name: 'last_reason', nullable: true }) lastReason!: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
  @Column('timestamptz', { name: 'closed_at', nullable: true }) closedAt!: Date | null;
}
