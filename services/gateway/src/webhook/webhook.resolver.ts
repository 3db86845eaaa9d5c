import { Args, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import type { WebhookDeliveryAttemptRow, WebhookDeliveryRow, WebhookRow } from '../read-models/read-models.entities';
import { Ctx, type GatewayContext } from '../graphql/graphql.context';
import { apiError } from '../graphql/graphql.errors';
import { AddWebhookInput, webhookUrlProblem } from './webhook.inputs';
import { WebhookLoaders } from './webhook.loaders';
import { Webhook, WebhookAttempt, WebhookCreated, WebhookDelivery } from './webhook.model';
import { checkFirst, WebhookService } from './webhook.service';

const FIRST = { type: () => Int, defaultValue: 50, nullable: true };

@Resolver(() => Webhook)
export class WebhookResolver {
  constructor(
    private readonly service: WebhookService,
    private readonly loaders: WebhookLoaders,
  ) {}

  @Query(() => [Webhook], { description: "The town's webhooks, oldest first." })
  webhooks(@Ctx() ctx: GatewayContext): Promise<WebhookRow[]> {
    return this.service.list(ctx);
  }

  @Query(() => [WebhookDelivery], { description: 'Deliveries of the town, newest first; filtered by webhook and convoy when given.' })
  webhookDeliveries(
    @Ctx() ctx: GatewayContext,
    @Args('webhookId', { type: () => ID, nullable: true }) webhookId: string | null,
    @Args('convoyId', { type: () => ID, nullable: true }) convoyId: string | null,
    @Args('first', FIRST) first: number | null,
  ): Promise<WebhookDeliveryRow[]> {
    return this.service.deliveries(ctx, { webhookId, convoyId, first: checkFirst(first) });
  }

  @Mutation(() => WebhookCreated, { description: 'Notifies the url of convoy outcomes with signed POSTs.' })
  addWebhook(@Ctx() ctx: GatewayContext, @Args('input') input: AddWebhookInput): Promise<{ webhook: WebhookRow; secret: string }> {
    const problem = webhookUrlProblem(input.url);
    if (problem) throw apiError('BAD_USER_INPUT', problem, { argument: 'url' });
    return this.service.add(ctx, input);
  }

  @Mutation(() => Webhook, { description: 'Stops notifications, retries of earlier deliveries included.' })
  removeWebhook(
    @Ctx() ctx: GatewayContext,
    @Args('id', { type: () => ID }) id: string,
    @Args('commandId', { type: () => String, nullable: true, description: 'Idempotency key: a retry with the same id changes nothing more.' })
    commandId: string | null,
  ): Promise<WebhookRow> {
    return this.service.remove(ctx, id, commandId);
  }

  @ResolveField(() => [WebhookDelivery], { description: 'Newest first.' })
  deliveries(@Ctx() ctx: GatewayContext, @Parent() webhook: WebhookRow, @Args('first', FIRST) first: number | null): Promise<WebhookDeliveryRow[]> {
    return this.loaders.deliveries(ctx, checkFirst(first)).load(webhook.id);
  }
}

@Resolver(() => WebhookDelivery)
export class WebhookDeliveryResolver {
  constructor(private readonly loaders: WebhookLoaders) {}

  @ResolveField(() => [WebhookAttempt], { description: 'First to last.' })
  attempts(@Ctx() ctx: GatewayContext, @Parent() delivery: WebhookDeliveryRow): Promise<WebhookDeliveryAttemptRow[]> {
    return this.loaders.attempts(ctx).load(delivery.id);
  }
}
