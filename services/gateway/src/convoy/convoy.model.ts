import { Field, GraphQLISODateTime, ID, Int, ObjectType } from '@nestjs/graphql';
import type { ConvoyStatus, MergeMode } from '@gastown/contracts';
import { ConvoyStatusEnum, MergeModeEnum, RigLandingStatusEnum, type RigLandingStatus } from '../graphql/graphql.enums';

@ObjectType()
export class FeatureBranch {
  @Field(() => ID) rigId!: string;
  @Field() branch!: string;
}

@ObjectType({ description: "One rig's landing: every rig of a REVIEW_THEN_LAND convoy has one, from its creation on." })
export class RigLanding {
  @Field(() => ID) rigId!: string;
  @Field(() => RigLandingStatusEnum) status!: RigLandingStatus;
  @Field(() => String, { nullable: true, description: 'The commit that landed the convoy on the rig; null until it LANDED.' }) commit!: string | null;
  @Field(() => String, { nullable: true, description: 'Why the last attempt failed on this rig (FAILED only).' }) reason!: string | null;
}

@ObjectType()
export class DependencyEdge {
  @Field(() => ID, { description: 'The bead that waits.' }) beadId!: string;
  @Field(() => ID, { description: 'The bead it waits for.' }) dependsOnBeadId!: string;
  @Field(() => String, { description: 'Pass it as dependencyEdges(after:) to read the edges after this one.' }) cursor!: string;
}

@ObjectType({ description: 'Bead counts by state. open and blocked split the OPEN beads.' })
export class ConvoyProgress {
  @Field(() => Int) total!: number;
  @Field(() => Int, { description: 'OPEN and not held by a failed or cancelled upstream bead.' }) open!: number;
  @Field(() => Int) inProgress!: number;
  @Field(() => Int) inReview!: number;
  @Field(() => Int) closed!: number;
  @Field(() => Int) failed!: number;
  @Field(() => Int) cancelled!: number;
  @Field(() => Int, { description: 'OPEN but held by a failed or cancelled upstream bead.' }) blocked!: number;
}

@ObjectType({ description: 'A batch of beads (tasks) planned as a DAG and landed together.' })
export class Convoy {
  @Field(() => ID) id!: string;
  @Field() title!: string;
  @Field() slug!: string;
  @Field(() => ConvoyStatusEnum) status!: ConvoyStatus;
  @Field(() => MergeModeEnum) mergeMode!: MergeMode;
  @Field({ description: 'Created without dispatching anything; startConvoy releases it.' }) staged!: boolean;
  @Field() parallel!: boolean;
  @Field(() => [FeatureBranch], { description: 'One per rig of the convoy in REVIEW_THEN_LAND; empty in REVIEW_AND_MERGE.' })
  featureBranches!: FeatureBranch[];
  @Field(() => GraphQLISODateTime) createdAt!: Date;
  @Field(() => GraphQLISODateTime) updatedAt!: Date;
  @Field(() => GraphQLISODateTime, { nullable: true }) landedAt!: Date | null;
  @Field(() => String, { nullable: true, description: "The landing commit on the default rig (or on the first rig that landed when the default rig holds no bead)." }) landedCommit!: string | null;
  @Field(() => [RigLanding], {
    description:
      'Per rig, never reset: which rigs LANDED (with the commit), which are PENDING or PUSHING and which FAILED (with the reason). A half-landed FAILED convoy lists both; retryLanding lands the rest.',
  })
  landings!: RigLanding[];
  @Field(() => String, { nullable: true }) failureReason!: string | null;
  @Field(() => String, { nullable: true }) cancelReason!: string | null;
}

@ObjectType()
export class ConvoyEdge {
  @Field() cursor!: string;
  @Field(() => Convoy) node!: Convoy;
}

@ObjectType()
export class PageInfo {
  @Field() hasNextPage!: boolean;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

@ObjectType({ description: 'Convoys, newest first.' })
export class ConvoyConnection {
  @Field(() => [ConvoyEdge]) edges!: ConvoyEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => Int, { description: 'How many convoys match the filters, over all pages.' }) totalCount!: number;
}
