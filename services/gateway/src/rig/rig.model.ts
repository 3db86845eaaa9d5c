import { Field, GraphQLISODateTime, ID, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: 'A git repository of the town that agents work in.' })
export class Rig {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field() gitUrl!: string;
  @Field() defaultBranch!: string;
  @Field(() => GraphQLISODateTime) createdAt!: Date;
}
