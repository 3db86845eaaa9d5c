import { DynamicModule, Module } from '@nestjs/common';
import { GATEWAY_OPTIONS, GatewayOptions } from '../gateway.options';
import { GatewayConfig } from './gateway.config';

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');

/** Hands the one parsed configuration to every module, including those that only know GATEWAY_OPTIONS. */
@Module({})
export class ConfigModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    const options: GatewayOptions = {
      databaseUrl: config.databaseUrl,
      databasePoolMax: config.databasePoolMax,
      migrations: config.migrations,
      natsUrl: config.natsUrl,
      namespace: config.namespace,
      natsCredentials: config.natsCredentials,
      natsTls: config.natsTls,
      streamReplicas: config.streamReplicas,
      readerOnly: config.readerOnly,
    };
    return {
      module: ConfigModule,
      global: true,
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: GATEWAY_OPTIONS, useValue: options },
      ],
      exports: [GATEWAY_CONFIG, GATEWAY_OPTIONS],
    };
  }
}
