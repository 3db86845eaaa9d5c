import type { FactoryProvider } from '@nestjs/common';
import { connectBus, ensureTopology, whileJetStreamElects, type Bus, type ConnectBusOptions } from '@gastown/bus';
import { lineLogger } from './service.logger';

/** Injection token of a service's connected bus. */
export const BUS = Symbol('BUS');

/** Servers, namespace, connection name, credentials, TLS and stream replicas (see nats.settings.ts). */
export type BusSettings = Omit<ConnectBusOptions, 'logger'>;

/**
 * The connected bus with the whole topology ensured: every service may be the first to start,
 * and creating what exists already is a no-op.
 */
export function busProvider(options: BusSettings): FactoryProvider<Bus> {
  return {
    provide: BUS,
    useFactory: async () => {
      const bus = await connectBus({ ...options, logger: lineLogger('bus') });
      try {
        await whileJetStreamElects(bus.log, 'the topology to be ensured', () => ensureTopology(bus));
      } catch (error) {
        await bus.close();
        throw error;
      }
      return bus;
    },
  };
}
