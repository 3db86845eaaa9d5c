import { Field, GraphQLISODateTime, ID, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: 'The tenant a bearer token belongs to; everything else lives inside one town.' })
export class Town {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => GraphQLISODateTime) createdAt!: Date;
}
