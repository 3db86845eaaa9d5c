import { Field, Float, GraphQLISODateTime, ObjectType } from '@nestjs/graphql';

@ObjectType({
  description:
    'A message a service cannot apply: the convoy or town it belongs to stops there (others flow) until the operator retries it after a fix or skips it (npm run holds).',
})
export class Hold {
  @Field({ description: 'The service that holds it: projector (what the API shows of it stops there).' }) service!: string;
  @Field(() => Float, { description: 'Stream sequence of the message that could not be applied.' }) seq!: number;
  @Field() reason!: string;
  @Field(() => GraphQLISODateTime) since!: Date;
}
