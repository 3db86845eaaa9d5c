import { Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { Bus } from '@gastown/bus';
import type { DataSource } from 'typeorm';
import { BUS, BusModule } from '../bus/bus.module';
import { CommandModule } from '../command/command.module';
import { GATEWAY_OPTIONS, type GatewayOptions } from '../gateway.options';
import { ReadModelsModule } from '../read-models/read-models.module';
import { WebhookLogRunner } from './webhook-log.runner';
import { WebhookLoaders } from './webhook.loaders';
import { WebhookDeliveryResolver, WebhookResolver } from './webhook.resolver';
import { WebhookService } from './webhook.service';

/** Projects the delivery log once the app is up; stops before the bus and the database close. */
class WebhookLogLifecycle implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    private readonly runner: WebhookLogRunner,
    private readonly readerOnly: boolean,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.readerOnly) await this.runner.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.runner.stop();
  }
}

@Module({
  imports: [BusModule, ReadModelsModule, CommandModule],
  providers: [
    WebhookLoaders,
    WebhookService,
    WebhookResolver,
    WebhookDeliveryResolver,
    {
      provide: WebhookLogRunner,
      inject: [getDataSourceToken(), BUS],
      useFactory: (dataSource: DataSource, bus: Bus) => new WebhookLogRunner(dataSource, bus),
    },
    {
      provide: WebhookLogLifecycle,
      inject: [WebhookLogRunner, GATEWAY_OPTIONS],
      useFactory: (runner: WebhookLogRunner, options: GatewayOptions) => new WebhookLogLifecycle(runner, options.readerOnly === true),
    },
  ],
  exports: [WebhookLogRunner],
})
export class WebhookModule {}
