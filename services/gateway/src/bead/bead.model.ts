import { Field, GraphQLISODateTime, ID, Int, ObjectType } from '@nestjs/graphql';
import type { BeadStatus } from '@gastown/contracts';
import { BeadStatusEnum } from '../graphql/graphql.enums';

@ObjectType({ description: 'One task of a convoy, worked by one agent at a time.' })
export class Bead {
  @Field(() => ID) id!: string;
  @Field(() => Int, { name: 'index', description: 'Position in the plan; dependsOn refers to it.' }) idx!: number;
  @Field(() => ID) convoyId!: string;
  @Field(() => ID) rigId!: string;
  @Field() title!: string;
  @Field() body!: string;
  @Field(() => BeadStatusEnum) status!: BeadStatus;
  @Field({ description: 'OPEN in an active convoy with every blocker CLOSED: an agent may take it.' }) ready!: boolean;
  @Field({ description: 'Held because a bead upstream FAILED or was CANCELLED.' }) blocked!: boolean;
  @Field(() => String, { nullable: true }) blockedReason!: string | null;
  @Field(() => String, { nullable: true, description: 'The agent working on it.' }) assignee!: string | null;
  @Field(() => String, { nullable: true }) branch!: string | null;
  @Field(() => String, { nullable: true, description: 'The last rework or failure reason.' }) lastReason!: string | null;
  @Field(() => String, { nullable: true }) headCommit!: string | null;
  @Field(() => String, { nullable: true }) mergeCommit!: string | null;
  @Field(() => GraphQLISODateTime) createdAt!: Date;
  @Field(() => GraphQLISODateTime, { nullable: true }) closedAt!: Date | null;
}
