import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, startObservability } from '@gastown/service-runtime';
import { GatewayConfigError, loadGatewayConfig } from './config/gateway.config';
import { createGatewayApp } from './gateway.app';
import { GatewayHealth, loadReadyMaxLagSeconds } from './health/gateway.health';

async function bootstrap(): Promise<void> {
  const config = loadGatewayConfig();
  const readyMaxLagSeconds = loadReadyMaxLagSeconds();
  const observability = await startObservability('gateway');
  const { app, url } = await createGatewayApp(config, { readyMaxLagSeconds });
  app.enableShutdownHooks();
  observability.attach(app.get(GatewayHealth).readiness);
  new Logger('gateway').log(`gateway ready on ${url}`);
}

bootstrap().catch((error: unknown) => {
  if (error instanceof GatewayConfigError || error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`gateway failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
