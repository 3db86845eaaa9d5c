import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { WebhookAttemptOutcome, WebhookEventType } from '@gastown/contracts';

export type DeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED';

/** A town's webhook as configured; removed ones stay (with removed_at) so their deliveries keep a name. */
@Entity({ name: 'webhooks' })
@Index('ix_webhooks_town', ['townId', 'createdAt'])
export class WebhookRow {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'town_id' }) townId!: string;
  @Column('text') url!: string;
  @Column('text', { array: true }) events!: WebhookEventType[];
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'removed_at', nullable: true }) removedAt!: Date | null;
}

/** One notification of one webhook about one convoy outcome, projected from the delivery log. */
@Entity({ name: 'webhook_deliveries' })
// Ascending: newest-first pages scan these backwards.
@Index('ix_webhook_deliveries_webhook', ['townId', 'webhookId', 'createdAt'])
@Index('ix_webhook_deliveries_convoy', ['townId', 'convoyId', 'createdAt'])
@Index('ix_webhook_deliveries_town', ['townId', 'createdAt'])
export class WebhookDeliveryRow {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'town_id' }) townId!: string;
  @Column('uuid', { name: 'webhook_id' }) webhookId!: string;
  @Column('uuid', { name: 'convoy_id' }) convoyId!: string;
  @Column('text') event!: WebhookEventType;
  @Column('text') status!: DeliveryStatus;
  @Column('integer', { name: 'last_attempt' }) lastAttempt!: number;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
  @Column('timestamptz', { name: 'delivered_at', nullable: true }) deliveredAt!: Date | null;
}

@Entity({ name: 'webhook_delivery_attempts' })
export class WebhookDeliveryAttemptRow {
  @PrimaryColumn('uuid', { name: 'delivery_id' }) deliveryId!: string;
  @PrimaryColumn('integer') attempt!: number;
  @Column('timestamptz') at!: Date;
  @Column('integer', { name: 'status_code', nullable: true }) statusCode!: number | null;
  @Column('text', { nullable: true }) error!: string | null;
  @Column('integer', { name: 'duration_ms' }) durationMs!: number;
  @Column('text') outcome!: WebhookAttemptOutcome;
}
