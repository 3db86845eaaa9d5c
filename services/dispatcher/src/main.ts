import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, READINESS, redactUrl, ServiceLogger, startObservability } from '@gastown/service-runtime';
import { AppModule } from './app.module';
import { loadDispatcherConfig } from './config/dispatcher.config';

async function bootstrap(): Promise<void> {
  const config = loadDispatcherConfig();
  const observability = await startObservability('dispatcher');
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), {
    logger: new ServiceLogger(),
  });
  app.enableShutdownHooks();
  observability.attach(app.get(READINESS));
  new Logger('dispatcher').log(
    `dispatcher ready (${config.dispatcherId}, nats ${redactUrl(config.natsUrl)}, namespace ${config.namespace})`,
  );
}

bootstrap().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`dispatcher failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
