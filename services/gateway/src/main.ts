import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { GatewayConfigError, loadGatewayConfig } from './config/gateway.config';
import { createGatewayApp } from './gateway.app';

async function bootstrap(): Promise<void> {
  const config = loadGatewayConfig();
  const { app, url } = await createGatewayApp(config);
  app.enableShutdownHooks();
  new Logger('gateway').log(`gateway ready on ${url}`);
}

bootstrap().catch((error: unknown) => {
  if (error instanceof GatewayConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`gateway failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
