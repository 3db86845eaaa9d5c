import { Global, Inject, Logger, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { GATEWAY_CONFIG } from '../config/config.module';
import type { GatewayConfig } from '../config/gateway.config';
import { HeavyReadsPool } from './heavy-reads.pool';

/** Injection token of the HeavyReadsPool, or null where heavy reads run on the main thread. */
export const HEAVY_READS = Symbol('HEAVY_READS');

/**
 * Starts the heavy-read workers with the app, in the background: readiness does not wait for them,
 * and a heavy read that comes first waits for its worker instead. A worker's own app has none.
 */
@Global()
@Module({
  providers: [
    {
      provide: HEAVY_READS,
      inject: [GATEWAY_CONFIG],
      useFactory: (config: GatewayConfig): HeavyReadsPool | null =>
        config.readerOnly || !config.heavyReads || config.heavyReads.workers === 0 ? null : new HeavyReadsPool(config, config.heavyReads),
    },
  ],
  exports: [HEAVY_READS],
})
export class HeavyReadsModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(HEAVY_READS) private readonly pool: HeavyReadsPool | null) {}

  onApplicationBootstrap(): void {
    this.pool?.warm().catch((error: unknown) => new Logger('HeavyReads').warn(`heavy-read workers did not start; the first heavy read starts them: ${(error as Error).message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool?.close();
  }
}
