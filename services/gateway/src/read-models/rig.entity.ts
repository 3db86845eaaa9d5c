import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { RigConfig } from '@gastown/contracts';

@Entity({ name: 'rigs' })
@Index('ix_rigs_town_name', ['townId', 'name'], { unique: true })
export class RigRow {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'town_id' }) townId!: string;
  @Column('text') name!: string;
  @Column('text', { name: 'git_url' }) gitUrl!: string;
  @Column('text', { name: 'default_branch' }) defaultBranch!: string;
  @Column('jsonb') config!: RigConfig;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}
