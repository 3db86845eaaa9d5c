import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type AgentStatus = 'WORKING' | 'IDLE';

/** A polecat as the events show it: WORKING from its dispatch until its attempt leaves it, as the dispatcher counts it. */
@Entity({ name: 'agents' })
@Index('ix_agents_town_rig', ['townId', 'rigId'])
export class AgentRow {
  @PrimaryColumn('uuid', { name: 'town_id' }) townId!: string;
  @PrimaryColumn('text', { name: 'agent_id' }) agentId!: string;
  @Column('uuid', { name: 'rig_id' }) rigId!: string;
  @Column('text') name!: string;
  @Column('text') status!: AgentStatus;
  @Column('uuid', { name: 'current_bead_id', nullable: true }) currentBeadId!: string | null;
  @Column('integer', { name: 'current_attempt', nullable: true }) currentAttempt!: number | null;
  /** The time of the latest event about the agent. */
  @Column('timestamptz', { name: 'last_seen_at' }) lastSeenAt!: Date;
  @Column('integer', { name: 'attempts_total' }) attemptsTotal!: number;
}
