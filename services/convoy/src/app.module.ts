import { DynamicModule, Module } from '@nestjs/common';
import { serviceProviders } from '@gastown/service-runtime';
import { ConvoyConfig } from './config/convoy.config';
import { ConvoyCommandService } from './commands/convoy-command.service';

@Module({})
export class AppModule {
  static forRoot(config: ConvoyConfig): DynamicModule {
    return {
      module: AppModule,
      providers: serviceProviders(
        { servers: config.natsUrl, namespace: config.namespace, name: 'convoy', credentials: config.natsCredentials, tls: config.natsTls, streamReplicas: config.streamReplicas },
        (bus) => new ConvoyCommandService(bus, config),
      ),
    };
  }
}
