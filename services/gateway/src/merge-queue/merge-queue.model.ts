import { Field, Float, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import type { MergeQueueStatus as Status } from '../read-models/merge-queue.entity';

export enum MergeQueueStatus {
  WAITING = 'WAITING',
  CHECKING = 'CHECKING',
  BISECTING = 'BISECTING',
}
registerEnumType(MergeQueueStatus, {
  name: 'MergeQueueStatus',
  description:
    'WAITING: handed in, in no batch yet (or again, after its batch ended without it). CHECKING: in a batch whose checks run. ' +
    'BISECTING: in a batch that went red, being split to find the bead that breaks it.',
});

@ObjectType({ description: 'The batch the refinery merged a bead into, with the beads around it, to check them once together.' })
export class MergeBatch {
  @Field(() => ID) id!: string;
  @Field(() => ID, {
    nullable: true,
    description: "The batch ahead, still being checked, this one was built on top of: its result stands only if that one's does. Null once that one merged.",
  })
  speculativeOn!: string | null;
  @Field(() => Int, { description: 'Check runs reported so far, bisection runs included.' }) checkRuns!: number;
}

@ObjectType({ description: "A bead in its rig's merge queue." })
export class MergeQueueEntry {
  @Field(() => Int, { description: "1 is the first in the queue: the order they were handed in, a plan's order within one decision." })
  position!: number;
  @Field(() => ID) beadId!: string;
  @Field(() => Int, { description: 'The attempt whose work waits to be merged.' }) attempt!: number;
  @Field(() => MergeQueueStatus) status!: Status;
  @Field(() => MergeBatch, { nullable: true, description: 'Null while it waits for a batch.' }) batch!: MergeBatch | null;
  @Field(() => GraphQLISODateTime, { description: 'When its attempt was handed in.' }) submittedAt!: Date;
  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When its batch started; null while it waits.' }) startedAt!: Date | null;
}

@ObjectType({ description: "A rig's merge queue after a decision that may have changed it, or as it was when the subscription started." })
export class MergeQueueChange {
  @Field(() => Float, {
    nullable: true,
    description: 'Stream sequence of the decision; null for the queue sent when the subscription starts.',
  })
  sequence!: number | null;
  @Field(() => ID) rigId!: string;
}
