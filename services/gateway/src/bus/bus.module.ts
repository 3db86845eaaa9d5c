import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { connectBus, ensureTopology, whileJetStreamElects, type Bus } from '@gastown/bus';
import { lineLogger } from '@gastown/service-runtime';
import { GATEWAY_OPTIONS, type GatewayOptions } from '../gateway.options';

/** Injection token of the connected, topology-checked `Bus`. */
export const BUS = 'BUS';

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
          logger: lineLogger('bus'),
          credentials: options.natsCredentials,
          tls: options.natsTls,
          streamReplicas: options.streamReplicas,
        });
        try {
          await whileJetStreamElects(bus.log, 'the topology to be ensured', () => ensureTopology(bus));
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
