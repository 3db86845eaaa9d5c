import { DynamicModule, Inject, Injectable, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Bus } from '@gastown/bus';
import { BUS, busProvider, lineLogger } from '@gastown/service-runtime';
import { DispatcherConfig } from './config/dispatcher.config';
import { DEFAULT_PLAN_LIMITS } from './dispatch/dispatch.planner';
import { DispatchRunner } from './dispatch/dispatch.runner';

const CONFIG = Symbol('DISPATCHER_CONFIG');

@Injectable()
class DispatcherLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly runner: DispatchRunner;

  constructor(@Inject(BUS) private readonly bus: Bus, @Inject(CONFIG) config: DispatcherConfig) {
    this.runner = new DispatchRunner(bus, {
      dispatcherId: config.dispatcherId,
      log: lineLogger('dispatcher'),
      limits: {
        ...DEFAULT_PLAN_LIMITS,
        maxAgentsPerTown: config.maxAgentsPerTown,
        retryBaseMs: config.retryBaseMs,
        retryMaxMs: config.retryMaxMs,
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.runner.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.stop();
    await this.bus.close();
  }
}

@Module({})
export class AppModule {
  static forRoot(config: DispatcherConfig): DynamicModule {
    return {
      module: AppModule,
      providers: [
        { provide: CONFIG, useValue: config },
        busProvider({ servers: config.natsUrl, namespace: config.namespace, name: `dispatcher ${config.dispatcherId}` }),
        DispatcherLifecycle,
      ],
    };
  }
}
