import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One edge of a convoy's DAG: bead_id depends on depends_on_bead_id. */
@Entity({ name: 'bead_dependencies' })
@Index('ix_bead_dependencies_convoy', ['convoyId'])
@Index('ix_bead_dependencies_depends_on', ['dependsOnBeadId'])
export class BeadDependencyRow {
  @PrimaryColumn('uuid', { name: 'bead_id' }) beadId!: string;
  @PrimaryColumn('uuid', { name: 'depends_on_bead_id' }) dependsOnBeadId!: string;
  @Column('uuid', { name: 'convoy_id' }) convoyId!: string;
  @Column('uuid', { name: 'town_id' }) townId!: string;
}
