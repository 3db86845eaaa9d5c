import { Field, InputType } from '@nestjs/graphql';
import { textProblem, type WebhookEventType } from '@gastown/contracts';
import { WebhookEventEnum } from './webhook.model';

@InputType()
export class AddWebhookInput {
  @Field({ description: 'http:// or https://, without credentials: receivers check the signature instead.' })
  url!: string;
  @Field(() => [WebhookEventEnum], { nullable: true, description: 'Default: every event.' })
  events?: WebhookEventType[] | null;
  @Field(() => String, { nullable: true, description: 'Idempotency key: a retry with the same id adds nothing and shows the same secret.' })
  commandId?: string | null;
}

/** A control or invisible character in the url, refused before the secret is sealed; the town decider checks again. */
export function webhookUrlProblem(url: string): string | null {
  return textProblem('url', url, 'line', Infinity)?.message ?? null;
}
