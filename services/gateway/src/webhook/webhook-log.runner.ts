import { PoisonMessageError, runMessageConsumer, type Bus, type ConsumerStatus, type RunningConsumer } from '@gastown/bus';
import type { DataSource } from 'typeorm';
import { poisonReason } from '../projection/projection.applier';
import { applyAttemptRecord } from './webhook-log.projector';

export const WEBHOOK_LOG_DURABLE = 'webhook-log';

export interface WebhookLogRunnerOptions {
  durable?: string;
}

/**
 * Feeds webhook_deliveries from the delivery log the dispatcher writes: one record per
 * transaction together with its subject's checkpoint, in stream order. A record that can never be
 * applied is parked in the dead-letter stream; deliveries are an operator's record, so it holds
 * nothing back.
 */
export class WebhookLogRunner {
  private consumer: RunningConsumer | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly bus: Bus,
    private readonly options: WebhookLogRunnerOptions = {},
  ) {}

  async start(): Promise<void> {
    if (this.consumer) return;
    const { names } = this.bus;
    this.consumer = await runMessageConsumer(this.bus, {
      durable: this.options.durable ?? WEBHOOK_LOG_DURABLE,
      stream: names.webhookLogStream,
      filterSubject: names.allWebhookLogs,
      maxDeliver: 10,
      ackWaitMs: 30_000,
      backoffMs: [100, 250, 500, 1000, 2000, 5000],
      handler: async (message) => {
        try {
          await this.dataSource.transaction((tx) => applyAttemptRecord(tx, message));
        } catch (error) {
          const reason = poisonReason(error);
          if (reason === null) throw error;
          throw error instanceof PoisonMessageError ? error : new PoisonMessageError(message.subject, message.seq, reason);
        }
      },
    });
  }

  get durable(): string {
    return this.options.durable ?? WEBHOOK_LOG_DURABLE;
  }

  /** Whether the consumer is bound and pulling (for readiness). */
  status(): Promise<ConsumerStatus> {
    return this.consumer?.status() ?? Promise.resolve({ bound: false, reason: 'the webhook log has not started' });
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = null;
    await consumer?.stop();
  }
}
