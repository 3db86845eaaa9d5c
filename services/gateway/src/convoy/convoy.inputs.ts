import { ArgsType, Field, ID, InputType, Int } from '@nestjs/graphql';
import type { ConvoyStatus, MergeMode } from '@gastown/contracts';
import { ConvoyStatusEnum, MergeModeEnum } from '../graphql/graphql.enums';

const COMMAND_ID = 'Idempotency key: a retry with the same id changes nothing more and returns the same result.';

@InputType()
export class TaskInput {
  @Field() title!: string;
  @Field({ nullable: true }) body?: string;
  @Field(() => ID, { nullable: true, description: "Defaults to the convoy's default rig." }) rigId?: string;
  @Field(() => [Int], { defaultValue: [], description: 'Indices (in the plan) of the tasks this one waits for.' })
  dependsOn!: number[];
}

@InputType()
export class SlingBatchInput {
  @Field() title!: string;
  @Field(() => ID) defaultRigId!: string;
  @Field(() => MergeModeEnum, { defaultValue: 'REVIEW_THEN_LAND' }) mergeMode!: MergeMode;
  @Field({ defaultValue: false }) staged!: boolean;
  @Field({ defaultValue: false }) parallel!: boolean;
  @Field(() => [TaskInput]) tasks!: TaskInput[];
  @Field({ nullable: true, description: COMMAND_ID }) commandId?: string;
}

@InputType()
export class SlingInput {
  @Field() title!: string;
  @Field({ nullable: true }) body?: string;
  @Field(() => ID) rigId!: string;
  @Field(() => MergeModeEnum, { defaultValue: 'REVIEW_THEN_LAND' }) mergeMode!: MergeMode;
  @Field({ defaultValue: false }) staged!: boolean;
  @Field({ nullable: true, description: COMMAND_ID }) commandId?: string;
}

export const MAX_PAGE_SIZE = 100;

@ArgsType()
export class ConvoysArgs {
  @Field(() => ConvoyStatusEnum, { nullable: true }) status?: ConvoyStatus;
  @Field(() => ID, { nullable: true, description: 'Only convoys with a bead on this rig.' }) rigId?: string;
  @Field(() => Int, { defaultValue: 20, description: `Page size, at most ${MAX_PAGE_SIZE}.` }) first!: number;
  @Field({ nullable: true, description: 'The endCursor of the previous page.' }) after?: string;
}
