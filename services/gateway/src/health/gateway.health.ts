import { Inject, Injectable, Module, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { z } from 'zod';
import { cachedStatus, gaugeSource, type Bus } from '@gastown/bus';
import { consumerCheck, natsCheck, parseEnv, Readiness, wholeNumberSetting, type ReadinessCheck } from '@gastown/service-runtime';
import type { DataSource } from 'typeorm';
import { BUS, BusModule } from '../bus/bus.module';
import { listHolds } from '../projection/projection.applier';
import { ProjectionModule } from '../projection/projection.module';
import { ProjectionRunner } from '../projection/projection.runner';
import { ReadModelsModule } from '../read-models/read-models.module';
import { WebhookLogRunner } from '../webhook/webhook-log.runner';
import { WebhookModule } from '../webhook/webhook.module';

/**
 * How old the oldest commit the read models have not applied may be while the gateway still
 * reads ready. Past it, a mutation would wait READ_MODEL_WAIT_MS for its own write in vain.
 */
export const DEFAULT_READY_MAX_LAG_SECONDS = 30;

/** GATEWAY_READY_MAX_LAG_SECONDS, from 1 s to a day. */
export function loadReadyMaxLagSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const schema = z.object({
    GATEWAY_READY_MAX_LAG_SECONDS: wholeNumberSetting('GATEWAY_READY_MAX_LAG_SECONDS', DEFAULT_READY_MAX_LAG_SECONDS, { max: 86_400, unit: ' s' }),
  });
  return parseEnv('gateway', schema, env).GATEWAY_READY_MAX_LAG_SECONDS;
}

/**
 * The gateway's readiness: connected to NATS, its two consumers (the read-model projector and the
 * webhook log) bound, PostgreSQL answering, and the projector caught up within the bound. Also
 * exports the projector's lag and the subjects it holds.
 */
@Injectable()
export class GatewayHealth implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly readiness = new Readiness();
  /** Set by createGatewayApp from GATEWAY_READY_MAX_LAG_SECONDS. */
  maxLagSeconds = DEFAULT_READY_MAX_LAG_SECONDS;
  private readonly stops: (() => void)[] = [];
  /** A probe and a scrape close together read the lag from the server once. */
  private readonly lag = cachedStatus(() => this.projection.lag());

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(getDataSourceToken()) private readonly dataSource: DataSource,
    private readonly projection: ProjectionRunner,
    private readonly webhookLog: WebhookLogRunner,
  ) {}

  onApplicationBootstrap(): void {
    this.readiness.add(...this.checks());
    this.stops.push(
      gaugeSource('gastown_projector_lag_messages', async (set) => set({}, (await this.lag()).messages)),
      gaugeSource('gastown_projector_lag_seconds', async (set) => set({}, (await this.lag()).seconds)),
      gaugeSource('gastown_holds', async (set) => set({}, (await listHolds(this.dataSource)).length)),
    );
  }

  beforeApplicationShutdown(): void {
    this.readiness.stop('shutting down');
    this.stops.splice(0).forEach((stop) => stop());
  }

  private checks(): ReadinessCheck[] {
    return [
      natsCheck(this.bus.nc),
      consumerCheck(this.projection.durable, () => this.projection.status()),
      consumerCheck(this.webhookLog.durable, () => this.webhookLog.status()),
      {
        name: 'postgres',
        check: async () => {
          await this.dataSource.query('SELECT 1');
          return { ok: true };
        },
      },
      {
        name: 'projector',
        check: async () => {
          const { messages, seconds } = await this.lag();
          const behind = `${messages} commit${messages === 1 ? '' : 's'} behind, the oldest ${seconds.toFixed(1)} s old`;
          return seconds <= this.maxLagSeconds
            ? { ok: true, detail: behind }
            : { ok: false, reason: `${behind}: above GATEWAY_READY_MAX_LAG_SECONDS (${this.maxLagSeconds} s)` };
        },
      },
    ];
  }
}

@Module({
  imports: [BusModule, ReadModelsModule, ProjectionModule, WebhookModule],
  providers: [GatewayHealth],
  exports: [GatewayHealth],
})
export class HealthModule {}
