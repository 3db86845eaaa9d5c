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

/** OpenTelemetry's standard samplers that need no remote service (jaeger_remote and xray do). */
export const TRACE_SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;
export type TraceSamplerName = (typeof TRACE_SAMPLERS)[number];

/** Which traces a process keeps: OTEL_TRACES_SAMPLER, and OTEL_TRACES_SAMPLER_ARG for the ratio samplers. */
export interface TraceSampling {
  readonly sampler: TraceSamplerName;
  /** The share of new traces the ratio samplers keep, from 0 to 1; 1 when unset, as OpenTelemetry has it. */
  readonly ratio: number;
}

/** OpenTelemetry's default: a trace a caller sampled is kept, one a caller dropped is dropped, every new one is kept. */
export const DEFAULT_TRACE_SAMPLING: TraceSampling = { sampler: 'parentbased_always_on', ratio: 1 };

const unsetValue = (v: string | undefined): v is undefined | '' => v === undefined || v === '';

/**
 * The standard sampler variables, checked here because the SDK's own reading falls back to
 * sampling everything on a value it does not know, which an operator who asked for 1% would only
 * notice on the collector's bill. The ratio is checked whenever it is set.
 */
export const traceSamplingSettings = () => ({
  OTEL_TRACES_SAMPLER: z
    .string()
    .optional()
    .transform((v, ctx): TraceSamplerName => {
      if (unsetValue(v)) return DEFAULT_TRACE_SAMPLING.sampler;
      if (!(TRACE_SAMPLERS as readonly string[]).includes(v)) {
        ctx.addIssue({ code: 'custom', message: `OTEL_TRACES_SAMPLER must be one of ${TRACE_SAMPLERS.join(', ')} (unset: ${DEFAULT_TRACE_SAMPLING.sampler}), got "${v}"` });
        return z.NEVER;
      }
      return v as TraceSamplerName;
    }),
  OTEL_TRACES_SAMPLER_ARG: z
    .string()
    .optional()
    .transform((v, ctx): number => {
      if (unsetValue(v)) return DEFAULT_TRACE_SAMPLING.ratio;
      // Decimal digits only: Number() would also take "0x1", "1e0" and " ", which no one means as a share.
      if (!/^\s*(\d+\.?\d*|\.\d+)\s*$/.test(v) || Number(v) > 1) {
        ctx.addIssue({ code: 'custom', message: `OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1, the share of new traces the traceidratio samplers keep (e.g. 0.1), got "${v}"` });
        return z.NEVER;
      }
      return Number(v);
    }),
});

export interface ObservabilitySettings {
  /** Where /livez, /readyz and /metrics listen; null when the port is 0 (turned off). */
  readonly health: HealthListener | null;
  readonly logFormat: LogFormat;
  readonly traceSampling: TraceSampling;
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
 *   over OTLP/HTTP when one is set (OpenTelemetry reads them itself; only their shape is checked here);
 * - `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG`: which traces are kept (see traceSamplingSettings).
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
    ...traceSamplingSettings(),
  });
  const e = parseEnv(service, schema, env) as Record<string, unknown>;
  // The service's own host wins over the shared one.
  const host = (env[`${prefix}_HEALTH_HOST`] ? e[`${prefix}_HEALTH_HOST`] : e['GT_HEALTH_HOST']) as string;
  const port = e[`${prefix}_HEALTH_PORT`] as number;
  return {
    health: port === 0 ? null : { host, port },
    logFormat: logFormatOf(env),
    traceSampling: { sampler: e['OTEL_TRACES_SAMPLER'] as TraceSamplerName, ratio: e['OTEL_TRACES_SAMPLER_ARG'] as number },
  };
}
