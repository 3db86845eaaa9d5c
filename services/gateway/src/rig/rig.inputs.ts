import { Field, InputType } from '@nestjs/graphql';

@InputType()
export class RegisterRigInput {
  @Field() name!: string;
  @Field() gitUrl!: string;
  @Field() defaultBranch!: string;
  @Field({ nullable: true, description: 'Idempotency key: a retry with the same id registers nothing new.' })
  commandId?: string;
}
