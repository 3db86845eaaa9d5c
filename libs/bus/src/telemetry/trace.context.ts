import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';

/**
 * W3C trace context across every NATS hop. The `traceparent` (and `tracestate`) travel in message
 * headers, never in a body: a stored commit's JSON is the same with tracing on or off.
 *
 * Everything here goes through @opentelemetry/api only. Until a process registers a tracer
 * provider and a propagator (service-runtime's startTracing, when OTEL_EXPORTER_OTLP_ENDPOINT is
 * set), spans are the API's no-op ones and inject writes nothing, so no header is added.
 */
const tracer = () => trace.getTracer('gastown');

/** The W3C headers of a message, as they travel; absent when the message carried none. */
export interface TraceCarrier {
  readonly traceparent: string;
  readonly tracestate?: string;
}

const headerGetter: TextMapGetter<MsgHdrs | undefined> = {
  keys: (carrier) => (carrier ? carrier.keys() : []),
  get: (carrier, key) => (carrier?.has(key) ? carrier.get(key) : undefined),
};

const recordSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

const recordGetter: TextMapGetter<TraceCarrier | undefined> = {
  keys: (carrier) => (carrier ? Object.keys(carrier) : []),
  get: (carrier, key) => (carrier && (key === 'traceparent' || key === 'tracestate') ? carrier[key] : undefined),
};

/**
 * Message headers carrying `ctx` (the active context by default), or undefined when there is
 * nothing to carry (tracing off, or no span): callers then publish without headers, as before.
 */
export function traceHeaders(ctx: Context = context.active(), into?: MsgHdrs): MsgHdrs | undefined {
  const fields: Record<string, string> = {};
  propagation.inject(ctx, fields, recordSetter);
  const keys = Object.keys(fields);
  if (keys.length === 0) return into;
  const h = into ?? natsHeaders();
  for (const key of keys) h.set(key, fields[key]);
  return h;
}

/** The trace context a message carried; the root context when it carried none. */
export function contextOfHeaders(h: MsgHdrs | undefined): Context {
  return h ? propagation.extract(ROOT_CONTEXT, h, headerGetter) : ROOT_CONTEXT;
}

/** The W3C fields of a message's headers, kept with a stored commit so that whoever folds it can continue its trace. */
export function carrierOfHeaders(h: MsgHdrs | undefined): TraceCarrier | undefined {
  const traceparent = h?.has('traceparent') ? h.get('traceparent') : '';
  if (!traceparent) return undefined;
  const tracestate = h?.get('tracestate');
  return tracestate ? { traceparent, tracestate } : { traceparent };
}

/** The context of a kept carrier; the root context without one. */
export function contextOfCarrier(carrier: TraceCarrier | undefined): Context {
  return carrier ? propagation.extract(ROOT_CONTEXT, carrier, recordGetter) : ROOT_CONTEXT;
}

export interface SpanOptions {
  kind?: SpanKind;
  /** The parent; the active context by default. */
  parent?: Context;
  attributes?: Attributes;
}

/**
 * Runs `work` inside a new span (the active one for everything it awaits), ending it when the
 * work settles: a thrown error marks the span failed and passes through unchanged.
 */
export async function inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = tracer().startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** Marks a span failed with the error's message (never a stack: messages are already redacted where they must be). */
export function failSpan(span: Span, error: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/** The active span's trace and span ids, for a log line; undefined when no span is recording. */
export function activeTraceIds(): { traceId: string; spanId: string } | undefined {
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const { traceId, spanId } = span.spanContext();
  return trace.isSpanContextValid(span.spanContext()) ? { traceId, spanId } : undefined;
}

export { SpanKind };
