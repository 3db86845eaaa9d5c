import { Logger, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { Bus, BusLogger } from '@gastown/bus';
import type { DataSource } from 'typeorm';
import { BUS, BusModule } from '../bus/bus.module';
import { GATEWAY_OPTIONS, type GatewayOptions } from '../gateway.options';
import { ReadModelsModule } from '../read-models/read-models.module';
import { ProjectionRunner } from './projection.runner';
import { ReadModelWaiter } from './read-model.waiter';

function nestLogger(): BusLogger {
  const logger = new Logger('Projection');
  return { info: (line) => logger.log(line), warn: (line) => logger.warn(line), error: (line) => logger.error(line) };
}

/** Starts the runner once every module is ready and stops it before the bus and the database close. */
class ProjectionLifecycle implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    private readonly runner: ProjectionRunner,
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
  imports: [BusModule, ReadModelsModule],
  providers: [
    {
      provide: ProjectionRunner,
      inject: [getDataSourceToken(), BUS],
      useFactory: (dataSource: DataSource, bus: Bus) => new ProjectionRunner(dataSource, bus, { logger: nestLogger() }),
    },
    {
      provide: ProjectionLifecycle,
      inject: [ProjectionRunner, GATEWAY_OPTIONS],
      useFactory: (runner: ProjectionRunner, options: GatewayOptions) => new ProjectionLifecycle(runner, options.readerOnly === true),
    },
    {
      provide: ReadModelWaiter,
      inject: [GATEWAY_OPTIONS],
      useFactory: (options: GatewayOptions) => new ReadModelWaiter(options.databaseUrl),
    },
  ],
  exports: [ProjectionRunner, ReadModelWaiter],
})
export class ProjectionModule {}
