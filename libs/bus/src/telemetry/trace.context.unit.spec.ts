import { context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { headers } from '@nats-io/transport-node';
import { carrierOfHeaders, contextOfCarrier, contextOfHeaders, inSpan, traceHeaders } from './trace.context';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

describe('trace context in message headers', () => {
  afterEach(() => propagation.disable());

  it('given no propagator (tracing off), when a message is prepared, then no header is added and spans still pass results and errors through', async () => {
    const parent = trace.setSpanContext(context.active(), { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED });
    expect(traceHeaders(parent)).toBeUndefined();
    await expect(inSpan('work', {}, async () => 42)).resolves.toBe(42);
    await expect(inSpan('work', {}, async () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
  });

  it('given the W3C propagator, when a context is carried in headers, then the receiver reads the same trace and a kept carrier restores it', () => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const parent = trace.setSpanContext(context.active(), { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED });

    const h = traceHeaders(parent);
    expect(h?.get('traceparent')).toBe(`00-${TRACE_ID}-${SPAN_ID}-01`);
    expect(trace.getSpanContext(contextOfHeaders(h))?.traceId).toBe(TRACE_ID);

    const carrier = carrierOfHeaders(h);
    expect(carrier).toEqual({ traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` });
    expect(trace.getSpanContext(contextOfCarrier(carrier))?.spanId).toBe(SPAN_ID);
  });

  it('given headers a message already has, when the trace is added, then they are kept', () => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const parent = trace.setSpanContext(context.active(), { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED });
    const own = headers();
    own.set('Nats-Msg-Id', 'job-1');
    const h = traceHeaders(parent, own);
    expect(h?.get('Nats-Msg-Id')).toBe('job-1');
    expect(h?.get('traceparent')).toContain(TRACE_ID);
  });

  it('given a message without a trace, when read, then there is no carrier and the root context', () => {
    expect(carrierOfHeaders(headers())).toBeUndefined();
    expect(carrierOfHeaders(undefined)).toBeUndefined();
    expect(trace.getSpanContext(contextOfHeaders(undefined))).toBeUndefined();
  });
});
