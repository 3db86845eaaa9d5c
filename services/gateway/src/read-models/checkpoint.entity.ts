import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * How far the read models have applied each event subject (one per convoy, one per town).
 * Updated in the same transaction as the rows, as a compare-and-set on last_seq.
 */
@Entity({ name: 'projection_checkpoints' })
export class CheckpointRow {
  @PrimaryColumn('text') subject!: string;
  @Column('bigint', { name: 'last_seq', transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  lastSeq!: number;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}

/** A subject whose next commit could not be applied: it is held until retried, others flow. */
@Entity({ name: 'projection_holds' })
export class ProjectionHoldRow {
  @PrimaryColumn('text') subject!: string;
  @Column('bigint', { transformer: { to: (v: number) => v, from: (v: string) => Number(v) } }) seq!: number;
  @Column('text') reason!: string;
  @Column('timestamptz', { name: 'held_at' }) heldAt!: Date;
}
