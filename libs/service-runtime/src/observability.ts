import { Logger } from '@nestjs/common';
import { collectDefaultMetrics, register } from 'prom-client';
import { startHealthServer, type HealthServer } from './health.server';
import { loadObservabilitySettings, type ObservedService } from './observability.settings';
import type { Readiness } from './readiness';
import { configureLogs } from './service.logger';
import { startTracing } from './tracing';

export interface ServiceObservability {
  /** The health listener; null when its port is 0. */
  readonly health: HealthServer | null;
  /** Hands the built service's readiness to /readyz, and says where the listener is. */
  attach(readiness: Readiness): void;
}

let defaultMetrics = false;

/**
 * What a service's main does first, before it connects to anything: validates the observability
 * settings (a bad one is a ConfigError, exit 2), picks the log format, labels every series with the
 * service, exports the process's default metrics, starts traces when an OTLP endpoint is set, and
 * opens the health listener, which answers /livez at once and /readyz 503 until `attach`.
 */
export async function startObservability(service: ObservedService, env: NodeJS.ProcessEnv = process.env): Promise<ServiceObservability> {
  const settings = loadObservabilitySettings(service, env);
  configureLogs(service, settings.logFormat);
  register.setDefaultLabels({ service });
  if (!defaultMetrics) {
    collectDefaultMetrics({ register });
    defaultMetrics = true;
  }
  const tracing = startTracing(service, env, settings.traceSampling);
  const health = settings.health ? await startHealthServer(service, settings.health) : null;
  return {
    health,
    attach: (readiness) => {
      health?.attach(() => readiness.report());
      const where = health ? `health and metrics on ${health.url} (/livez, /readyz, /metrics)` : 'no health listener (port 0)';
      new Logger(service).log(`${where}; traces ${tracing ? 'exported over OTLP/HTTP' : 'off (no OTEL_EXPORTER_OTLP_ENDPOINT)'}`);
    },
  };
}
