import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { nameUuid, StoredSecret, WEBHOOK_EVENT_TYPES, webhookSecretContext } from '@gastown/contracts';
import { DataSource, IsNull } from 'typeorm';
import { CommandService } from '../command/command.service';
import { GATEWAY_CONFIG } from '../config/config.module';
import type { GatewayConfig } from '../config/gateway.config';
import type { GatewayContext } from '../graphql/graphql.context';
import { apiError, notFound } from '../graphql/graphql.errors';
import { isUuid } from '../graphql/graphql.ids';
import { WebhookDeliveryRow, WebhookRow } from '../read-models/read-models.entities';
import type { AddWebhookInput } from './webhook.inputs';
import { webhookEgressProblem } from './webhook.egress';

export const MAX_DELIVERIES_PAGE = 200;

export interface DeliveryFilter {
  webhookId?: string | null;
  convoyId?: string | null;
  first: number;
}

@Injectable()
export class WebhookService {
  constructor(
    private readonly db: DataSource,
    private readonly commands: CommandService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  /** The town's webhooks in the order they were added; removed ones are gone from the list. */
  list(ctx: GatewayContext): Promise<WebhookRow[]> {
    return this.db.getRepository(WebhookRow).find({ where: { townId: ctx.town.id, removedAt: IsNull() }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  async deliveries(ctx: GatewayContext, filter: DeliveryFilter): Promise<WebhookDeliveryRow[]> {
    // An id that is not a UUID names nothing: an empty answer, like any other unknown id.
    if ((filter.webhookId && !isUuid(filter.webhookId)) || (filter.convoyId && !isUuid(filter.convoyId))) return [];
    const query = this.db
      .getRepository(WebhookDeliveryRow)
      .createQueryBuilder('d')
      .where('d.townId = :townId', { townId: ctx.town.id })
      .orderBy('d.createdAt', 'DESC')
      .addOrderBy('d.id', 'ASC')
      .limit(filter.first);
    if (filter.webhookId) query.andWhere('d.webhookId = :webhookId', { webhookId: filter.webhookId });
    if (filter.convoyId) query.andWhere('d.convoyId = :convoyId', { convoyId: filter.convoyId });
    return query.getMany();
  }

  async add(ctx: GatewayContext, input: AddWebhookInput): Promise<{ webhook: WebhookRow; secret: string }> {
    const townId = ctx.town.id;
    const commandId = this.commands.commandIdOf(input.commandId);
    // Derived from the command id, so a retried addition names the same webhook.
    const webhookId = nameUuid(townId, `webhook:${commandId}`);
    const { secrets } = this.config;
    if (!secrets) throw apiError('UNAVAILABLE', 'webhooks are unavailable: this gateway was started without GASTOWN_SECRETS_KEY', {});
    // The town hears now what the dispatcher would answer at every delivery; the dispatcher still checks (DNS can change).
    const egress = await webhookEgressProblem(input.url, { allow: this.config.egressAllow ?? [] });
    if (egress) throw apiError('BAD_USER_INPUT', egress, { errors: [{ path: ['url'], message: egress }] });
    const context = webhookSecretContext(townId, webhookId);
    // Sealed here, so the key is in clear nowhere but in this answer: not in the command, the event or a read model.
    const sealed = secrets.seal(randomBytes(32).toString('base64url'), context);
    const result = await this.commands.town(ctx, commandId, {
      type: 'AddWebhook',
      data: { webhookId, url: input.url, events: input.events ?? [...WEBHOOK_EVENT_TYPES], secret: sealed },
    });
    // A retried command is answered with the key stored the first time, which is the one to show.
    const stored = StoredSecret.safeParse(result['secret']);
    if (!stored.success) {
      throw apiError('CONFLICT', `webhook ${webhookId}, added by command ${commandId}, has been removed since; add a new one`, {
        id: webhookId,
        commandId,
      });
    }
    const webhook = await this.db.getRepository(WebhookRow).findOneBy({ id: webhookId, townId });
    if (!webhook) throw notFound('webhook', webhookId);
    return { webhook, secret: secrets.open(stored.data, context) };
  }

  /** Answers with the removed webhook; a retry with the same command id answers the same. */
  async remove(ctx: GatewayContext, id: string, requestedCommandId?: string | null): Promise<WebhookRow> {
    const townId = ctx.town.id;
    const repository = this.db.getRepository(WebhookRow);
    // Checked against the town's read model first: a town cannot address another town's webhook.
    if (!isUuid(id) || !(await repository.existsBy({ id, townId }))) throw notFound('webhook', id);
    await this.commands.town(ctx, this.commands.commandIdOf(requestedCommandId), { type: 'RemoveWebhook', data: { webhookId: id } });
    const webhook = await repository.findOneBy({ id, townId });
    if (!webhook) throw notFound('webhook', id);
    return webhook;
  }
}

/** The page size, when it is one. */
export function checkFirst(first: number | null): number {
  if (first === null || !Number.isInteger(first) || first < 0 || first > MAX_DELIVERIES_PAGE) {
    throw apiError('BAD_USER_INPUT', `first must be between 0 and ${MAX_DELIVERIES_PAGE} (got ${first})`, { argument: 'first' });
  }
  return first;
}
