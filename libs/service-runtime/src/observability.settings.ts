import { isIP } from 'node:net';
import { z } from 'zod';
import type { HealthListener } from './health.server';
import { LOG_FORMATS, type LogFormat, logFormatOf } from './service.logger';
import { parseEnv, wholeNumberSetting } from './service.settings';

/** The services that serve /livez, /readyz and /metrics, each on a port of its own. */
export type ObservedService = 'gateway' | 'convoy' | 'dispatcher' | 'git-runner';

/**
 * Defaults that do not collide when every service runs on one machine (npm start), next to the
 * gateway's 4000. A second replica of a service on the same machine needs its own port (or 0).
 */
export const DEFAULT_HEALTH_PORTS: Readonly<Record<ObservedService, number>> = {
  gateway: 9460,
  convoy: 9461,
  dispatcher: 9462,
  'git-runner': 9463,
};

/** Loopback: a probe or a scraper on this machine; a container sets GT_HEALTH_HOST=0.0.0.0. */
export const DEFAULT_HEALTH_HOST = '127.0.0.1';

/** One DNS label: letters, digits and inner hyphens, at most 63 characters. */
const HOST_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/** An IP address or a host name, as `listen` takes it: a URL or a host:port is a mistake to name. */
export const listenHostSetting = (name: string, fallback: string) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const value = raw === undefined || raw === '' ? fallback : raw;
      if (isIP(value) === 0 && (value.length > 253 || !value.split('.').every((label) => HOST_LABEL.test(label)))) {
        ctx.addIssue({
          code: 'custom',
          message:
            `${name} must be an IP address or a host name to listen on, without scheme or port ` +
            `(0.0.0.0 every IPv4 interface, :: every interface, 127.0.0.1 this machine only; got "${value}")`,
        });
        return z.NEVER;
      }
      return value;
    });

const otlpEndpointSetting = (name: string) =>
  z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || /^https?:\/\/[^\s/?#]+/.test(v), {
      message: `${name} must be the http:// or https:// URL of an OTLP/HTTP receiver, e.g. http://127.0.0.1:4318`,
    });

export interface ObservabilitySettings {
  /** Where /livez, /readyz and /metrics listen; null when the port is 0 (turned off). */
  readonly health: HealthListener | null;
  readonly logFormat: LogFormat;
}

/** CONVOY, DISPATCHER, GIT_RUNNER, GATEWAY: the prefix of a service's own variables. */
export function variablePrefix(service: ObservedService): string {
  return service.toUpperCase().replace(/-/g, '_');
}

/**
 * The settings of a service's probes, metrics, traces and logs:
 * - `<SERVICE>_HEALTH_PORT` (0 turns the listener off) and `<SERVICE>_HEALTH_HOST`, else
 *   `GT_HEALTH_HOST`, else loopback;
 * - `GT_LOG_FORMAT`: json or text (unset: text on a terminal, JSON otherwise);
 * - `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`: traces are exported there
 *   over OTLP/HTTP when one is set (OpenTelemetry reads them itself; only their shape is checked here).
 */
export function loadObservabilitySettings(service: ObservedService, env: NodeJS.ProcessEnv = process.env): ObservabilitySettings {
  const prefix = variablePrefix(service);
  const schema = z.object({
    GT_HEALTH_HOST: listenHostSetting('GT_HEALTH_HOST', DEFAULT_HEALTH_HOST),
    [`${prefix}_HEALTH_HOST`]: listenHostSetting(`${prefix}_HEALTH_HOST`, DEFAULT_HEALTH_HOST),
    [`${prefix}_HEALTH_PORT`]: wholeNumberSetting(`${prefix}_HEALTH_PORT`, DEFAULT_HEALTH_PORTS[service], { min: 0, max: 65_535 }),
    GT_LOG_FORMAT: z
      .string()
      .optional()
      .refine((v) => v === undefined || v === '' || (LOG_FORMATS as readonly string[]).includes(v), {
        message: 'GT_LOG_FORMAT must be "json" or "text" (unset: text on a terminal, JSON otherwise)',
      }),
    OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpointSetting('OTEL_EXPORTER_OTLP_ENDPOINT'),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpEndpointSetting('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'),
  });
  const e = parseEnv(service, schema, env) as Record<string, unknown>;
  // The service's own host wins over the shared one.
  const host = (env[`${prefix}_HEALTH_HOST`] ? e[`${prefix}_HEALTH_HOST`] : e['GT_HEALTH_HOST']) as string;
  const port = e[`${prefix}_HEALTH_PORT`] as number;
  return { health: port === 0 ? null : { host, port }, logFormat: logFormatOf(env) };
}
