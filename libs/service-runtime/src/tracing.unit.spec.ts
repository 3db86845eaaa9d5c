import { context, propagation, ROOT_CONTEXT, trace, TraceFlags, type Context } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { loadObservabilitySettings } from './observability.settings';
import { samplerOf, startTracing, stopTracing } from './tracing';

const PARENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

/** The context of a caller's (or a NATS message's) traceparent, sampled or not. */
function remoteParent(sampled: boolean): Context {
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: PARENT_TRACE,
    spanId: '00f067aa0ba902b7',
    traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  });
}

/** The spans a provider with the sampler of `env` exports, for a new trace and for children of a sampled and an unsampled parent. */
function exportedUnder(env: NodeJS.ProcessEnv): { root: number; sampledParent: string[]; unsampledParent: number } {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ sampler: samplerOf(loadObservabilitySettings('convoy', env).traceSampling), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('gastown');
  const count = (name: string) => exporter.getFinishedSpans().filter((s) => s.name === name);
  for (let i = 0; i < 100; i++) tracer.startSpan('root').end();
  tracer.startSpan('child of sampled', {}, remoteParent(true)).end();
  tracer.startSpan('child of unsampled', {}, remoteParent(false)).end();
  return {
    root: count('root').length,
    sampledParent: count('child of sampled').map((s) => s.spanContext().traceId),
    unsampledParent: count('child of unsampled').length,
  };
}

describe('trace sampling (OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG)', () => {
  it('given parentbased_traceidratio with a ratio of 0, when spans start, then no new trace is kept but a sampled parent is followed', () => {
    expect(exportedUnder({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' })).toEqual({ root: 0, sampledParent: [PARENT_TRACE], unsampledParent: 0 });
  });

  it('given traceidratio with a ratio of 0, when spans start, then nothing is kept, whatever the parent says', () => {
    expect(exportedUnder({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' })).toEqual({ root: 0, sampledParent: [], unsampledParent: 0 });
  });

  it("given nothing set, when spans start, then every new trace is kept and a parent's decision is followed", () => {
    expect(exportedUnder({})).toEqual({ root: 100, sampledParent: [PARENT_TRACE], unsampledParent: 0 });
  });

  describe('when tracing starts for a service', () => {
    afterEach(async () => {
      await stopTracing();
      trace.disable();
      context.disable();
      propagation.disable();
    });

    it('given always_off, when the service starts a span, then the registered tracer does not record it', () => {
      const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_TRACES_SAMPLER: 'always_off' };
      expect(startTracing('convoy', env, loadObservabilitySettings('convoy', env).traceSampling)).toBe(true);
      const tracer = trace.getTracer('gastown');
      expect(tracer.startSpan('dropped').isRecording()).toBe(false);
      expect(tracer.startSpan('dropped too', {}, remoteParent(true)).isRecording()).toBe(false);
    });
  });
});
