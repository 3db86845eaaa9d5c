import { Field, GraphQLISODateTime, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import type { AttemptOutcome } from '../read-models/bead-attempt.entity';

export const AttemptOutcomeEnum: Record<AttemptOutcome, AttemptOutcome> = {
  RUNNING: 'RUNNING',
  SUBMITTED: 'SUBMITTED',
  MERGED: 'MERGED',
  REWORK: 'REWORK',
  FAILED: 'FAILED',
  LOST: 'LOST',
  INTERRUPTED: 'INTERRUPTED',
  CANCELLED: 'CANCELLED',
};
registerEnumType(AttemptOutcomeEnum, {
  name: 'AttemptOutcome',
  valuesMap: {
    RUNNING: { description: 'The agent is at work.' },
    SUBMITTED: { description: 'The agent handed its work in; review has not decided yet.' },
    MERGED: { description: 'Review merged the work.' },
    REWORK: { description: 'Review sent the work back; reason says why.' },
    FAILED: { description: 'The agent failed (exit code, timeout) or its work could not be handed in.' },
    LOST: { description: 'The agent stopped being heard of (its runner died); the attempt counts.' },
    INTERRUPTED: { description: 'Its runner was stopped and the agent did not finish within the drain period; the attempt does not count.' },
    CANCELLED: { description: 'The convoy was closed before the work was merged.' },
  },
});

@ObjectType({ description: 'One dispatch of a bead to an agent.' })
export class BeadAttempt {
  @Field(() => Int) number!: number;
  @Field() agentId!: string;
  @Field() agentName!: string;
  @Field() branch!: string;
  @Field(() => GraphQLISODateTime) dispatchedAt!: Date;
  @Field(() => GraphQLISODateTime, { nullable: true }) startedAt!: Date | null;
  @Field(() => GraphQLISODateTime, { nullable: true, description: "When the agent's part ended (submitted, failed, lost, cancelled)." })
  endedAt!: Date | null;
  @Field(() => AttemptOutcomeEnum) outcome!: AttemptOutcome;
  @Field(() => Int, { nullable: true }) exitCode!: number | null;
  @Field(() => String, { nullable: true, description: 'Rework, failure or loss reason.' }) reason!: string | null;
  @Field(() => String, { nullable: true }) headCommit!: string | null;
  @Field(() => String, { nullable: true, description: "The last ~4 KB of the agent's output (secrets redacted)." })
  outputTail!: string | null;
}
