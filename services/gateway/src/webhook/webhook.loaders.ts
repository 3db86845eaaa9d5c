import { Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import { DataSource } from 'typeorm';
import { WebhookDeliveryAttemptRow, WebhookDeliveryRow } from '../read-models/read-models.entities';
import type { GatewayContext } from '../graphql/graphql.context';

const DELIVERIES_BY_WEBHOOK = Symbol('deliveriesByWebhook');
const ATTEMPTS_BY_DELIVERY = Symbol('attemptsByDelivery');

@Injectable()
export class WebhookLoaders {
  constructor(private readonly db: DataSource) {}

  /** The newest `first` deliveries of each webhook of the request's town. */
  deliveries(ctx: GatewayContext, first: number): DataLoader<string, WebhookDeliveryRow[]> {
    const perSize = ctx.loaders.get(DELIVERIES_BY_WEBHOOK, () => new Map<number, DataLoader<string, WebhookDeliveryRow[]>>());
    let loader = perSize.get(first);
    if (!loader) {
      loader = new DataLoader<string, WebhookDeliveryRow[]>(async (webhookIds) => {
        const rows = await this.db
          .getRepository(WebhookDeliveryRow)
          .createQueryBuilder('d')
          .where('d.townId = :townId', { townId: ctx.town.id })
          .andWhere('d.webhookId IN (:...webhookIds)', { webhookIds: [...webhookIds] })
          .andWhere(
            `d.id IN (SELECT r.id FROM (SELECT id, row_number() OVER (PARTITION BY webhook_id ORDER BY created_at DESC, id) AS n
                                     FROM webhook_deliveries WHERE town_id = :townId AND webhook_id IN (:...webhookIds)) r
                     WHERE r.n <= :first)`,
            { first },
          )
          .orderBy('d.createdAt', 'DESC')
          .addOrderBy('d.id', 'ASC')
          .getMany();
        return webhookIds.map((id) => rows.filter((r) => r.webhookId === id));
      });
      perSize.set(first, loader);
    }
    return loader;
  }

  /** Each delivery's attempts, first to last. */
  attempts(ctx: GatewayContext): DataLoader<string, WebhookDeliveryAttemptRow[]> {
    return ctx.loaders.get(
      ATTEMPTS_BY_DELIVERY,
      () =>
        new DataLoader<string, WebhookDeliveryAttemptRow[]>(async (deliveryIds) => {
          // Delivery ids come from rows already scoped to the town.
          const rows = await this.db
            .getRepository(WebhookDeliveryAttemptRow)
            .createQueryBuilder('a')
            .where('a.deliveryId IN (:...deliveryIds)', { deliveryIds: [...deliveryIds] })
            .orderBy('a.attempt', 'ASC')
            .getMany();
          return deliveryIds.map((id) => rows.filter((r) => r.deliveryId === id));
        }),
    );
  }
}
