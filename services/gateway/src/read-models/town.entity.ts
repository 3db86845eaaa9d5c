import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'towns' })
export class TownRow {
  @PrimaryColumn('uuid') id!: string;
  @Column('text') name!: string;
  /** sha256 of the bearer token; the token itself is never stored. */
  @Column('text', { name: 'token_hash', unique: true }) tokenHash!: string;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}
