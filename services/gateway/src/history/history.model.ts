import { Field, Float, GraphQLISODateTime, ID, Int, ObjectType } from '@nestjs/graphql';
import { JSONScalar } from '../graphql/graphql.scalars';

@ObjectType()
export class Actor {
  @Field({ description: 'user, service, agent or system.' }) kind!: string;
  @Field() id!: string;
}

@ObjectType({ description: 'One event of a convoy\'s history. Several events share a sequence when one decision produced them.' })
export class HistoryEvent {
  @Field(() => Float, { description: 'Stream sequence of the decision (commit) that produced the event.' }) sequence!: number;
  @Field(() => Int, { description: 'Position of the event inside its decision.' }) index!: number;
  @Field({ description: 'The event type, e.g. BeadDispatched.' }) type!: string;
  @Field(() => GraphQLISODateTime) occurredAt!: Date;
  @Field(() => Actor) actor!: Actor;
  @Field(() => ID) convoyId!: string;
  @Field(() => [ID], { description: 'The beads the event is about; empty for convoy-level events.' }) beadIds!: string[];
  @Field({ description: 'What changed and why, in one sentence.' }) summary!: string;
  @Field(() => JSONScalar, { description: 'The event payload in its latest version; secrets are never included.' })
  data!: unknown;
}
