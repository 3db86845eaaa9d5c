import { DynamicModule, Inject, Injectable, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Bus } from '@gastown/bus';
import { BUS, busProvider } from '@gastown/service-runtime';
import { ConvoyConfig } from './config/convoy.config';
import { ConvoyCommandService } from './commands/convoy-command.service';

const CONFIG = Symbol('CONVOY_CONFIG');

@Injectable()
class ConvoyServiceLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly service: ConvoyCommandService;

  constructor(@Inject(BUS) private readonly bus: Bus, @Inject(CONFIG) config: ConvoyConfig) {
    this.service = new ConvoyCommandService(bus, config);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.service.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.service.stop();
    await this.bus.close();
  }
}

@Module({})
export class AppModule {
  static forRoot(config: ConvoyConfig): DynamicModule {
    return {
      module: AppModule,
      providers: [
        { provide: CONFIG, useValue: config },
        busProvider({ servers: config.natsUrl, namespace: config.namespace, name: 'convoy' }),
        ConvoyServiceLifecycle,
      ],
    };
  }
}
