import { DeliverPolicy, type Consumer, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import type { Bus } from './bus.connection';
import { errorMessage } from './bus.errors';
import { EventStore, type EventParser, type StoredCommit } from './event.store';
import { contextOfHeaders, inSpan, SpanKind } from './telemetry/trace.context';

export interface FollowOptions {
  /** One subject or a wildcard (e.g. every convoy of a town). */
  filterSubject: string;
  /** Replay every commit after this stream sequence, then go on live; without it, only commits stored from now on. */
  afterSeq?: number;
  /** Commits pulled per request; the next request waits until the reader has taken them all. */
  batch?: number;
  parse?: EventParser;
  /** How long the consumer outlives a reader that vanished without return() (a killed process). */
  inactiveThresholdMs?: number;
  /** Deadline of one read of a commit kept in the object store; past it the iteration ends with the error. */
  payloadReadTimeoutMs?: number;
}

const DEFAULT_BATCH = 8;
/**
 * How long one pull waits on the server for new commits before it is renewed; also how long the
 * client waits between checks of the consumer after a reconnect finds JetStream still recovering
 * (a restarted nats-server), so a subscriber hears again within seconds, not the default 30 s.
 */
const PULL_EXPIRES_MS = 5_000;
/** A consumer left behind by a crashed process disappears after this long without pulls. */
const INACTIVE_THRESHOLD_MS = 2 * 60_000;
/** Pulls that fail in a row (consumer lost and not recreated, stream gone) before the reader is told. */
const MAX_PULL_FAILURES = 3;

/**
 * Follows the event stream from a sequence on, for live readers such as GraphQL subscriptions:
 * every commit of the filter, in stream order, each exactly once, across the seam between the
 * stored history and new appends (one consumer reads both). It is an ordered consumer, so there
 * is nothing to acknowledge and nothing to redeliver: ack wait, max deliver and back-off do not
 * apply, the client library recreates it from its last sequence when it is lost, and a commit
 * that cannot be decoded ends the iteration with the error instead of being skipped.
 *
 * Nothing is read ahead of the reader beyond one batch: a reader that stops pulling (a slow
 * client) leaves the commits in the stream, not in memory. return() ends it at once, even while
 * a pull is waiting, and deletes the consumer.
 */
export class StreamFollower implements AsyncIterableIterator<StoredCommit> {
  private messages: ConsumerMessages | null = null;
  private pending: AsyncIterator<JsMsg> | null = null;
  private closed = false;
  private failures = 0;

  private constructor(
    private readonly bus: Bus,
    private readonly consumer: Consumer,
    private readonly store: EventStore,
    private readonly batch: number,
    private readonly filterSubject: string,
  ) {}

  static async open(bus: Bus, options: FollowOptions): Promise<StreamFollower> {
    const stream = bus.names.eventStream;
    const after = options.afterSeq ?? (await bus.jsm.streams.info(stream)).state.last_seq;
    if (!Number.isSafeInteger(after) || after < 0) throw new Error(`afterSeq ${after} is not a stream sequence`);
    // Always a start sequence, never DeliverPolicy.New: a consumer recreated before its first
    // message restarts from its start sequence, and "new" would then mean the whole history.
    const consumer = await bus.js.consumers.get(stream, {
      filter_subjects: options.filterSubject,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: after + 1,
      // Milliseconds: the client converts to the server's nanoseconds itself; nanos() here made it 3.8 years.
      inactive_threshold: options.inactiveThresholdMs ?? INACTIVE_THRESHOLD_MS,
    });
    const store = new EventStore(bus, { parse: options.parse, payloadReadTimeoutMs: options.payloadReadTimeoutMs });
    return new StreamFollower(bus, consumer, store, options.batch ?? DEFAULT_BATCH, options.filterSubject);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<StoredCommit>> {
    const message = await this.nextMessage();
    if (message === null) return { done: true, value: undefined };
    try {
      // A live reader continues the commit's trace: one short span per commit read.
      const value = await inSpan(
        'follow events',
        { kind: SpanKind.CONSUMER, parent: contextOfHeaders(message.headers), attributes: { 'messaging.system': 'nats', 'messaging.destination.name': message.subject } },
        () => this.store.decodeCommit({ subject: message.subject, seq: message.seq, data: message.data, time: message.time, headers: message.headers }),
      );
      return { done: false, value };
    } catch (error) {
      // A reader that sees an error stops pulling without calling return(): clean up here.
      await this.return();
      throw error;
    }
  }

  async return(): Promise<IteratorResult<StoredCommit>> {
    if (!this.closed) {
      this.closed = true;
      // stop(), not close(): close() waits for a reader to drain the batch, and there may be none.
      this.messages?.stop();
      await this.consumer.delete().catch(() => undefined);
    }
    return { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<IteratorResult<StoredCommit>> {
    await this.return();
    throw error;
  }

  private async nextMessage(): Promise<JsMsg | null> {
    while (!this.closed) {
      try {
        if (!this.pending) {
          const messages = await this.consumer.fetch({ max_messages: this.batch, expires: PULL_EXPIRES_MS });
          if (this.closed) {
            messages.stop();
            return null;
          }
          this.messages = messages;
          this.pending = messages[Symbol.asyncIterator]();
        }
        const { value, done } = await this.pending.next();
        this.failures = 0;
        if (!done) return this.closed ? null : value;
      } catch (error) {
        if (this.closed) return null;
        if (++this.failures >= MAX_PULL_FAILURES) {
          await this.return();
          throw error;
        }
        // The ordered consumer recreates itself from its last sequence on the next fetch.
        this.bus.log.warn(`following ${this.filterSubject} failed, pulling again: ${errorMessage(error)}`);
      }
      // The batch is drained or the pull expired: ask for the next one.
      this.pending = null;
      this.messages = null;
    }
    return null;
  }
}

/** Starts following the event stream; see StreamFollower. */
export function followStream(bus: Bus, options: FollowOptions): Promise<StreamFollower> {
  return StreamFollower.open(bus, options);
}
