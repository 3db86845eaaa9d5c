import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiError,
  type ConsumerConfig,
  type ConsumerMessages,
  type JsMsg,
} from '@nats-io/jetstream';
import { InvalidEventError, parseEventSubject } from '@gastown/contracts';
import { z } from 'zod';
import { maxDeliveriesAdvisory, nanos, type Bus } from './bus.connection';
import { errorMessage, PoisonMessageError } from './bus.errors';
import { EventStore, type EventParser, type StoredCommit } from './event.store';
import { readRawSubject, type RawStoredMessage } from './subject.reader';
import { cachedStatus, durableStatus, exportConsumerLag, type ConsumerStatus } from './telemetry/consumer.status';
import { withLogFields } from './telemetry/log.fields';
import { counter } from './telemetry/metrics';
import { contextOfHeaders, inSpan, SpanKind } from './telemetry/trace.context';

export interface ConsumerContext {
  readonly deliveryCount: number;
  readonly streamSeq: number;
  /** Tells the server the handler is alive; the runner already does this every half ack wait. */
  working(): void;
}

export type CommitHandler = (commit: StoredCommit, context: ConsumerContext) => Promise<void>;
export type MessageHandler = (message: RawStoredMessage, context: ConsumerContext) => Promise<void>;

interface ConsumerSettings {
  durable: string;
  filterSubject: string;
  /** Deliveries before a failing message is parked, the first one included. */
  maxDeliver: number;
  /** How long one delivery may run without an ack or a working() before the server redelivers it. */
  ackWaitMs: number;
  /** Delay before delivery n+1 after delivery n failed; the last value repeats. */
  backoffMs: number[];
  /** Default: the event stream of the bus's namespace. */
  stream?: string;
  /**
   * Runs after a message's dead letter is stored and before the message is terminated, e.g. to
   * hold the subject in a read model. If it throws, the message is redelivered and parked again.
   */
  onPark?: (letter: DeadLetter) => Promise<void>;
  /**
   * Messages handled at once (default 1). Above 1 the stream order is given up, which suits work
   * items that are independent of each other, never a projection.
   */
  concurrency?: number;
  /**
   * Messages the server lets out unacknowledged, those waiting for a nak's delay included
   * (default: the concurrency). Work whose retries wait long needs room beyond the concurrency,
   * or a few messages in back-off hold up every other one.
   */
  maxAckPending?: number;
}

export interface ConsumerOptions extends ConsumerSettings {
  handler: CommitHandler;
  parse?: EventParser;
  /**
   * Whether the consumer needs this commit at all, asked before it is read: a commit it does not
   * want is acknowledged unread, so another town's largest plan is neither fetched nor decoded
   * for nothing, and its unreadable payload cannot hold this consumer up.
   */
  wants?: (subject: string, seq: number) => boolean | Promise<boolean>;
}

/** For streams of plain records rather than commits; a handler throws PoisonMessageError for a record it can never handle. */
export interface MessageConsumerOptions extends ConsumerSettings {
  handler: MessageHandler;
}

export interface RunningConsumer {
  readonly durable: string;
  stop(): Promise<void>;
  /** Bound: the server knows the consumer and this process pulls from it (for a readiness probe). */
  status(): Promise<ConsumerStatus>;
}

export const DeadLetter = z.object({
  consumer: z.string(),
  stream: z.string(),
  streamSeq: z.number().int().positive(),
  subject: z.string(),
  reason: z.string(),
  deliveryCount: z.number().int().positive(),
  parkedAt: z.iso.datetime(),
});
export type DeadLetter = z.infer<typeof DeadLetter>;

/**
 * By default one unacknowledged message at a time: the server holds back the next message until
 * this one is acked or parked, so a retried message is never overtaken by later ones. Projections
 * rely on seeing each subject's commits in order.
 */
const DEFAULT_CONCURRENCY = 1;
const PULL_BATCH = 16;
const REASON_MAX_CHARS = 1000;
const RESTART_DELAY_MS = 1000;
/**
 * How long one pull waits on the server before it is renewed. The client also waits this long
 * between its checks of the consumer after a reconnect that found JetStream not yet recovered (a
 * restarted nats-server): at the library's 30 s default, every consumer sat idle for 30 s after
 * each NATS restart. A renewal every 5 s per consumer costs the server next to nothing.
 */
const PULL_EXPIRES_MS = 5_000;

const decoder = new TextDecoder();

function isPoison(error: unknown): boolean {
  return error instanceof PoisonMessageError || error instanceof InvalidEventError;
}

function reasonOf(error: unknown): string {
  const reason = error instanceof PoisonMessageError ? error.reason : errorMessage(error);
  return reason.length > REASON_MAX_CHARS ? `${reason.slice(0, REASON_MAX_CHARS)}…` : reason;
}

/**
 * On 2.9 a consumer's back-off replaces its ack wait (the server sets ack_wait = backoff[0]) and
 * paces redeliveries after ack timeouts, i.e. after a crashed or hung handler. Adding the ack wait
 * to every step keeps each delivery's full ack wait and still spaces out crash loops; failures the
 * handler reports are paced by nak(delay) instead. The server requires fewer steps than deliveries.
 */
function serverBackoff({ ackWaitMs, backoffMs, maxDeliver }: ConsumerSettings): number[] {
  return backoffMs.slice(0, Math.max(0, maxDeliver - 1)).map((ms) => nanos(ackWaitMs + ms));
}

async function ensureConsumer(bus: Bus, stream: string, options: ConsumerSettings, maxAckPending: number): Promise<void> {
  const updatable = {
    filter_subject: options.filterSubject,
    max_deliver: options.maxDeliver,
    ack_wait: nanos(options.ackWaitMs),
    backoff: serverBackoff(options),
    max_ack_pending: maxAckPending,
  } satisfies Partial<ConsumerConfig>;
  try {
    await bus.jsm.consumers.add(stream, {
      ...updatable,
      durable_name: options.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
    });
  } catch (error) {
    // 2.9 updates a durable on create when the change is allowed; the explicit update covers servers that refuse.
    if (!(error instanceof JetStreamApiError)) throw error;
    await bus.jsm.consumers.update(stream, options.durable, updatable).catch(() => {
      throw error;
    });
  }
}

/** A durable consumer of commits: each message is decoded (overflow included) before the handler sees it. */
export async function runConsumer(bus: Bus, options: ConsumerOptions): Promise<RunningConsumer> {
  const { handler, parse, wants, ...settings } = options;
  const store = new EventStore(bus, { parse });
  return runMessageConsumer(bus, {
    ...settings,
    handler: async (message, context) => {
      if (wants && !(await wants(message.subject, message.seq))) return;
      await handler(await store.decodeCommit(message), context);
    },
  });
}

/**
 * A durable consumer with the back-off, dead letters and keep-alive of runConsumer, for any
 * stream; the handler gets the stored message as it is.
 */
export async function runMessageConsumer(bus: Bus, options: MessageConsumerOptions): Promise<RunningConsumer> {
  const { durable, maxDeliver, ackWaitMs, backoffMs, handler } = options;
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const maxAckPending = options.maxAckPending ?? concurrency;
  if (!Number.isInteger(maxDeliver) || maxDeliver < 1) throw new Error(`maxDeliver of ${durable} must be a positive integer`);
  if (!(ackWaitMs > 0)) throw new Error(`ackWaitMs of ${durable} must be positive`);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency of ${durable} must be a positive integer`);
  if (!Number.isInteger(maxAckPending) || maxAckPending < concurrency) {
    throw new Error(`maxAckPending of ${durable} must be a whole number of at least its concurrency (${concurrency})`);
  }
  const stream = options.stream ?? bus.names.eventStream;
  await ensureConsumer(bus, stream, options, maxAckPending);
  const consumer = await bus.js.consumers.get(stream, durable);

  const park = async (m: JsMsg, reason: string) => {
    const record: DeadLetter = {
      consumer: durable,
      stream,
      streamSeq: m.seq,
      subject: m.subject,
      reason,
      deliveryCount: m.info.deliveryCount,
      parkedAt: new Date().toISOString(),
    };
    try {
      // The id makes a second parking of the same message (term lost, hook failed) a no-op.
      await bus.js.publish(bus.names.dlq(durable), JSON.stringify(record), { msgID: `${stream}:${durable}:${m.seq}` });
      await options.onPark?.(record);
    } catch (error) {
      // Below maxDeliver the nak brings it back to be parked again. At the last delivery the server
      // gives up on it instead and only its MAX_DELIVERIES advisory records it.
      bus.log.error(`could not park ${stream}#${m.seq} for ${durable}: ${errorMessage(error)}`);
      m.nak(backoffMs.at(-1) ?? 0);
      return;
    }
    m.term();
    settled.inc({ consumer: durable, outcome: 'parked' });
    bus.log.warn(`parked ${stream}#${m.seq} (${m.subject}) from ${durable} after ${record.deliveryCount} deliveries: ${reason}`);
  };

  const retry = async (m: JsMsg, error: unknown) => {
    const deliveryCount = m.info.deliveryCount;
    if (deliveryCount >= maxDeliver) return park(m, reasonOf(error));
    const delay = backoffMs.length > 0 ? backoffMs[Math.min(deliveryCount - 1, backoffMs.length - 1)] : 0;
    bus.log.warn(
      `${durable} failed on ${stream}#${m.seq} (delivery ${deliveryCount} of ${maxDeliver}), retrying in ${delay} ms: ${reasonOf(error)}`,
    );
    m.nak(delay);
    settled.inc({ consumer: durable, outcome: 'retried' });
  };

  const settled = counter('gastown_consumer_messages_total');
  const redeliveries = counter('gastown_consumer_redeliveries_total');
  /** The ids of an event subject (town, convoy) for every log line written while its commit is handled. */
  const fieldsOf = (subject: string) => (stream === bus.names.eventStream ? parseEventSubject(bus.names.namespace, subject) : null) ?? {};

  // Each message continues the trace it was published in; its log lines name its town and convoy.
  const handleTraced = (m: JsMsg) =>
    withLogFields(fieldsOf(m.subject), () =>
      inSpan(`process ${durable}`, { kind: SpanKind.CONSUMER, parent: contextOfHeaders(m.headers), attributes: { 'messaging.system': 'nats', 'messaging.destination.name': m.subject, 'messaging.consumer.group.name': durable } }, () =>
        handle(m),
      ),
    );

  const handle = async (m: JsMsg) => {
    if (m.info.deliveryCount > 1) redeliveries.inc({ consumer: durable });
    const keepAlive = setInterval(() => {
      try {
        m.working();
      } catch (error) {
        bus.log.warn(`${durable} could not extend the ack wait of ${stream}#${m.seq}: ${errorMessage(error)}`);
      }
    }, Math.max(1, Math.floor(ackWaitMs / 2)));
    try {
      const message: RawStoredMessage = { subject: m.subject, seq: m.seq, data: m.data, time: m.time, headers: m.headers };
      await handler(message, { deliveryCount: m.info.deliveryCount, streamSeq: m.seq, working: () => m.working() });
    } catch (error) {
      await (isPoison(error) ? park(m, reasonOf(error)) : retry(m, error));
      return;
    } finally {
      clearInterval(keepAlive);
    }
    // A confirmed ack means stop() returns with nothing left to redeliver. It costs little: with
    // one message in flight the server waits for this ack before sending the next anyway.
    const confirmed = await m.ackAck().catch(() => false);
    settled.inc({ consumer: durable, outcome: 'acked' });
    if (!confirmed) bus.log.warn(`${durable} could not confirm the ack of ${stream}#${m.seq}; it may be delivered again`);
  };

  let stopping = false;
  let messages: ConsumerMessages | undefined;
  const inFlight = new Set<Promise<void>>();
  let wake: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (wake = resolve));

  const loop = (async () => {
    while (!stopping && !bus.nc.isClosed()) {
      try {
        // No more in the client's buffer than can start soon: a buffered message's ack wait is running.
        messages = await consumer.consume({ max_messages: concurrency > 1 ? concurrency : PULL_BATCH, expires: PULL_EXPIRES_MS });
        if (stopping) await messages.close();
        for await (const m of messages) {
          if (stopping) {
            // Handed to us but not started: give it back at once rather than after the ack wait.
            m.nak();
            continue;
          }
          const task: Promise<void> = handleTraced(m)
            .catch((error: unknown) => {
              bus.log.error(`${durable} could not settle ${stream}#${m.seq}: ${errorMessage(error)}`);
            })
            .finally(() => inFlight.delete(task));
          inFlight.add(task);
          if (inFlight.size >= concurrency) await Promise.race(inFlight);
        }
      } catch (error) {
        bus.log.error(`${durable} stopped pulling from ${stream}: ${errorMessage(error)}`);
      }
      if (!stopping && !bus.nc.isClosed()) {
        bus.log.warn(`${durable} restarts pulling from ${stream} in ${RESTART_DELAY_MS} ms`);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([new Promise((resolve) => (timer = setTimeout(resolve, RESTART_DELAY_MS))), stopped]);
        clearTimeout(timer);
      }
    }
  })();

  const status = cachedStatus<ConsumerStatus>(async () => (stopping ? { bound: false, reason: 'stopped' } : durableStatus(bus, stream, durable)));
  const stopExporting = exportConsumerLag(durable, status);
  return {
    durable,
    status,
    stop: async () => {
      stopping = true;
      stopExporting();
      wake();
      await messages?.close();
      await loop;
      await Promise.all(inFlight);
    },
  };
}

/** Everything the consumer `durable` has parked, oldest first. */
const MaxDeliveriesAdvisory = z.object({
  stream: z.string(),
  consumer: z.string(),
  stream_seq: z.number().int().positive(),
  deliveries: z.number().int().positive(),
  timestamp: z.string(),
});

/**
 * Everything a consumer gave up on: the records it parked, plus the messages the server gave up
 * on without a record (the consumer died during the last delivery), ordered by stream sequence.
 */
export async function readDeadLetters(bus: Bus, durable: string, stream = bus.names.eventStream): Promise<DeadLetter[]> {
  const { dlqStream } = bus.names;
  const parked = (await readRawSubject(bus, dlqStream, bus.names.dlq(durable), 0)).map((m) =>
    DeadLetter.parse(JSON.parse(decoder.decode(m.data))),
  );
  const known = new Set(parked.map((letter) => letter.streamSeq));
  const unrecorded: DeadLetter[] = [];
  for (const m of await readRawSubject(bus, dlqStream, maxDeliveriesAdvisory(stream, durable), 0)) {
    const advisory = MaxDeliveriesAdvisory.parse(JSON.parse(decoder.decode(m.data)));
    if (known.has(advisory.stream_seq)) continue;
    known.add(advisory.stream_seq);
    const original = await bus.jsm.streams.getMessage(stream, { seq: advisory.stream_seq }).catch(() => null);
    unrecorded.push({
      consumer: durable,
      stream,
      streamSeq: advisory.stream_seq,
      subject: original?.subject ?? '(message no longer in the stream)',
      reason: `the server gave up after ${advisory.deliveries} deliveries before the consumer could park it`,
      deliveryCount: advisory.deliveries,
      parkedAt: new Date(advisory.timestamp).toISOString(),
    });
  }
  return [...parked, ...unrecorded].sort((a, b) => a.streamSeq - b.streamSeq);
}
