import { Field, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '@gastown/contracts';
import type { DeliveryStatus } from '../read-models/webhook.entity';

/** The GraphQL enum is the contract enum, value for value. */
export const WebhookEventEnum = Object.fromEntries(WEBHOOK_EVENT_TYPES.map((v) => [v, v])) as Record<WebhookEventType, WebhookEventType>;
registerEnumType(WebhookEventEnum, {
  name: 'WebhookEvent',
  valuesMap: {
    CONVOY_LANDED: { description: 'The convoy landed: payload event "convoy.landed".' },
    CONVOY_FAILED: { description: 'Nothing in the convoy can progress any more: "convoy.failed".' },
    CONVOY_CANCELLED: { description: 'The convoy was closed before it landed: "convoy.cancelled".' },
  },
});

export const DeliveryStatusEnum: Record<DeliveryStatus, DeliveryStatus> = { PENDING: 'PENDING', DELIVERED: 'DELIVERED', FAILED: 'FAILED' };
registerEnumType(DeliveryStatusEnum, {
  name: 'DeliveryStatus',
  valuesMap: {
    PENDING: { description: 'An attempt failed and another one follows.' },
    DELIVERED: { description: 'The receiver answered 2xx.' },
    FAILED: { description: 'Every attempt failed, or the webhook was removed meanwhile.' },
  },
});

@ObjectType({ description: "A town's subscription to convoy outcomes: a signed POST to its url." })
export class Webhook {
  @Field(() => ID) id!: string;
  @Field() url!: string;
  @Field(() => [WebhookEventEnum]) events!: WebhookEventType[];
  @Field(() => GraphQLISODateTime) createdAt!: Date;
}

@ObjectType({ description: 'One POST of a delivery.' })
export class WebhookAttempt {
  @Field(() => Int) attempt!: number;
  @Field(() => GraphQLISODateTime) at!: Date;
  @Field(() => Int, { nullable: true, description: 'Null when no HTTP answer came (connection refused, timeout).' })
  statusCode!: number | null;
  @Field(() => String, { nullable: true }) error!: string | null;
  @Field(() => Int) durationMs!: number;
}

@ObjectType({ description: 'One notification of one webhook; every attempt carries the same X-Gastown-Delivery id.' })
export class WebhookDelivery {
  @Field(() => ID) id!: string;
  @Field(() => ID) webhookId!: string;
  @Field(() => ID) convoyId!: string;
  @Field(() => WebhookEventEnum) event!: WebhookEventType;
  @Field(() => DeliveryStatusEnum) status!: DeliveryStatus;
  @Field(() => GraphQLISODateTime) createdAt!: Date;
  @Field(() => GraphQLISODateTime, { nullable: true }) deliveredAt!: Date | null;
}

@ObjectType()
export class WebhookCreated {
  @Field(() => Webhook) webhook!: Webhook;
  @Field({ description: 'Shown once: the HMAC-SHA256 key of X-Gastown-Signature.' }) secret!: string;
}
