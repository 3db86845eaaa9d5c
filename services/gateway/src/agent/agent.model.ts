import { Field, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import type { AgentStatus } from '../read-models/agent.entity';

export const AgentStatusEnum: Record<AgentStatus, AgentStatus> = { WORKING: 'WORKING', IDLE: 'IDLE' };
registerEnumType(AgentStatusEnum, {
  name: 'AgentStatus',
  valuesMap: {
    WORKING: { description: 'Dispatched to a bead whose attempt is still running.' },
    IDLE: { description: 'Free for the next bead of its rig.' },
  },
});

@ObjectType({ description: 'A polecat: a worker agent slot of a rig.' })
export class Agent {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => ID) rigId!: string;
  @Field(() => AgentStatusEnum) status!: AgentStatus;
  @Field(() => GraphQLISODateTime, { description: 'The last event about this agent.' }) lastSeenAt!: Date;
  @Field(() => Int) attemptsTotal!: number;
}
