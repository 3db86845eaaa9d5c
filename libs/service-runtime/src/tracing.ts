import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace-node';
import { DEFAULT_TRACE_SAMPLING, type TraceSampling } from './observability.settings';

let provider: NodeTracerProvider | null = null;

/** Whether this environment asks for traces: an OTLP endpoint is set and the SDK is not disabled. */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env['OTEL_SDK_DISABLED'] === 'true' || env['OTEL_TRACES_EXPORTER'] === 'none') return false;
  return Boolean(env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_ENDPOINT']);
}

/**
 * The sampler of a validated OTEL_TRACES_SAMPLER, built here rather than by the SDK from
 * process.env, which would fall back to keeping everything on a value it does not know. A
 * parent-based sampler follows the sampled flag of the trace it continues (a caller's
 * `traceparent`, a NATS message's headers), so a trace is kept or dropped whole across services;
 * only traces that start here are left to the root sampler.
 */
export function samplerOf({ sampler, ratio }: TraceSampling): Sampler {
  switch (sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}

/**
 * Starts exporting this process's spans over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set: registers the tracer provider, the W3C trace-context
 * propagator the bus injects with, and the async context that carries a span across awaits.
 * Spans are sent in batches (OTEL_BSP_SCHEDULE_DELAY ms apart, 5 s by default); the exporter
 * reads its endpoint, headers and timeout from the standard OTEL_EXPORTER_OTLP_* variables, and
 * OTEL_SERVICE_NAME overrides the service name (`gastown-<service>`); `sampling` (OTEL_TRACES_SAMPLER
 * and OTEL_TRACES_SAMPLER_ARG, validated by loadObservabilitySettings) says which traces are kept.
 *
 * Without an endpoint nothing is registered: the bus's spans are the API's no-op ones, no
 * header is added to any message, and no context is tracked.
 */
export function startTracing(service: string, env: NodeJS.ProcessEnv = process.env, sampling: TraceSampling = DEFAULT_TRACE_SAMPLING): boolean {
  if (provider || !tracingRequested(env)) return provider !== null;
  const delay = Number(env['OTEL_BSP_SCHEDULE_DELAY']);
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': env['OTEL_SERVICE_NAME'] || `gastown-${service}`, 'service.namespace': 'gastown' }),
    sampler: samplerOf(sampling),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter(), Number.isInteger(delay) && delay > 0 ? { scheduledDelayMillis: delay } : {})],
  });
  provider.register();
  return true;
}

/** Sends the spans still buffered; a stopping service calls it last. Never throws. */
export async function stopTracing(): Promise<void> {
  const stopping = provider;
  provider = null;
  await stopping?.shutdown().catch(() => undefined);
}
