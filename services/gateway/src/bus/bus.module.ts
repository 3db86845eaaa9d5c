import { Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { connectBus, ensureTopology, type Bus, type BusLogger } from '@gastown/bus';
import { GATEWAY_OPTIONS, type GatewayOptions } from '../gateway.options';

/** Injection token of the connected, topology-checked `Bus`. */
export const BUS = 'BUS';

function nestLogger(): BusLogger {
  const logger = new Logger('Bus');
  return { info: (line) => logger.log(line), warn: (line) => logger.warn(line), error: (line) => logger.error(line) };
}

@Module({
  providers: [
    {
      provide: BUS,
      inject: [GATEWAY_OPTIONS],
      useFactory: async (options: GatewayOptions): Promise<Bus> => {
        const bus = await connectBus({
          servers: options.natsUrl,
          namespace: options.namespace,
          name: 'gateway',
          logger: nestLogger(),
        });
        try {
          await ensureTopology(bus);
        } catch (error) {
          await bus.close();
          throw error;
        }
        return bus;
      },
    },
  ],
  exports: [BUS],
})
export class BusModule implements OnApplicationShutdown {
  constructor(@Inject(BUS) private readonly bus: Bus) {}

  /** After every module's destroy hook, so consumers have stopped before the connection drains. */
  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
  }
}
