import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIPv6, type AddressInfo } from 'node:net';
import { INestApplication, LogLevel } from '@nestjs/common';
import { answerHealth, ServiceLogger } from '@gastown/service-runtime';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { authenticateBeforeBody } from './auth/auth.middleware';
import { AuthService } from './auth/auth.service';
import { DEFAULT_GATEWAY_HOST, type GatewayConfig } from './config/gateway.config';
import { GRAPHQL_PATH } from './graphql/graphql.module';
import { limitWebSocketMessages } from './graphql/graphql.websocket';
import { MAX_BODY_BYTES } from './graphql/graphql.limits';
import { serveDashboard } from './dashboard/dashboard.static';
import { traceRequests } from './graphql/graphql.telemetry';
import { DEFAULT_READY_MAX_LAG_SECONDS, GatewayHealth } from './health/gateway.health';

export interface GatewayApp {
  readonly app: INestApplication;
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  readonly url: string;
  close(): Promise<void>;
}

export interface GatewayAppOptions {
  readonly logLevels?: LogLevel[];
  /** GATEWAY_READY_MAX_LAG_SECONDS: the projector lag above which the gateway reads not ready. */
  readonly readyMaxLagSeconds?: number;
}

/** Builds and starts the gateway; port 0 picks a free port, which is what tests use. */
export async function createGatewayApp(config: GatewayConfig, options: GatewayAppOptions = {}): Promise<GatewayApp> {
  const host = config.host ?? DEFAULT_GATEWAY_HOST;
  // Nest's own parser stops at 100 kB; ours is registered instead so large plans fit.
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    logger: new ServiceLogger(options.logLevels),
  });
  // Registered first, so the token is checked before the body parser reads a byte.
  app.use(GRAPHQL_PATH, authenticateBeforeBody(app.get(AuthService)));
  app.useBodyParser('json', { limit: MAX_BODY_BYTES });
  app.use(GRAPHQL_PATH, traceRequests);
  // Probes on the API's own port too: a load balancer checks the port it sends traffic to. There
  // /readyz names its checks without their details, and /metrics stays on the health listener
  // (GATEWAY_HEALTH_PORT): nothing about the inside leaves by the way in.
  const health = app.get(GatewayHealth);
  health.maxLagSeconds = options.readyMaxLagSeconds ?? DEFAULT_READY_MAX_LAG_SECONDS;
  const endpoints = { service: 'gateway', metrics: false, public: true, readiness: () => health.readiness.report() };
  app.use((req: IncomingMessage, res: ServerResponse, next: () => void) => {
    if (!answerHealth(req, res, endpoints)) next();
  });
  // Before init: Nest answers 404 for whatever its routes did not take once it is initialised.
  if (config.dashboardDir) serveDashboard(app, config.dashboardDir);
  try {
    await app.init();
    limitWebSocketMessages(app);
    await app.listen(config.port, host);
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const { port } = app.getHttpServer().address() as AddressInfo;
  const shown = isIPv6(host) ? `[${host}]` : host;
  return { app, url: `http://${shown}:${port}${GRAPHQL_PATH}`, close: () => app.close() };
}
