import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { RigConfig, RigCredentialKind } from '@gastown/contracts';

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
  /** What is shown of the rig's credentials; null columns when it has none. The secret is never here. */
  @Column('text', { name: 'credentials_kind', nullable: true }) credentialsKind!: RigCredentialKind | null;
  @Column('timestamptz', { name: 'credentials_set_at', nullable: true }) credentialsSetAt!: Date | null;
  @Column('text', { name: 'credentials_username', nullable: true }) credentialsUsername!: string | null;
  @Column('text', { name: 'credentials_fingerprint', nullable: true }) credentialsFingerprint!: string | null;
}
