import type { JetStreamPublishOptions, PubAck } from '@nats-io/jetstream';
import type { Bus } from './bus.connection';
import { inSpan, SpanKind, traceHeaders } from './telemetry/trace.context';

/**
 * Publishes a work item (a git job, a webhook delivery) to its stream in a producer span, with the
 * active trace context in the message headers: the consumer that runs it continues the trace of
 * the decision that asked for it. The body is the item's JSON as before, traced or not.
 */
export function publishWork(
  bus: Bus,
  subject: string,
  item: unknown,
  options: Partial<JetStreamPublishOptions> & { readonly span: string },
): Promise<PubAck> {
  const { span: name, ...publish } = options;
  return inSpan(name, { kind: SpanKind.PRODUCER, attributes: { 'messaging.system': 'nats', 'messaging.destination.name': subject } }, () => {
    const headers = traceHeaders(undefined, publish.headers);
    return bus.js.publish(subject, JSON.stringify(item), { ...publish, ...(headers ? { headers } : {}) });
  });
}
