import { setTimeout as delay } from 'node:timers/promises';
import {
  EventStore,
  PayloadReadTimeoutError,
  PoisonMessageError,
  readDeadLetters,
  runMessageConsumer,
  type Bus,
  type BusLogger,
  type ConsumerStatus,
  type EventParser,
  type RawStoredMessage,
  type RunningConsumer,
  type StoredCommit,
} from '@gastown/bus';
import { InvalidEventError, parseEvent, type GastownEvent } from '@gastown/contracts';
import type { DataSource } from 'typeorm';
import {
  applyInTransaction,
  checkpointOf,
  holdSubject,
  isHeld,
  listHolds,
  poisonReason,
  releaseHold,
  skipHeldCommit,
  type ProjectionHold,
  type ProjectOutcome,
} from './projection.applier';

export const READ_MODELS_DURABLE = 'read-models';

export interface ProjectionRunnerOptions {
  /** Replaces parseEvent, e.g. createEventParser with upcasters for versions this build did not ship with. */
  parse?: EventParser;
  durable?: string;
  maxDeliver?: number;
  ackWaitMs?: number;
  backoffMs?: number[];
  logger?: BusLogger;
  /** Deadline of one read of a commit kept in the object store (a large plan). */
  payloadReadTimeoutMs?: number;
  /** Reads of such a commit before its subject is held; every town's later commits wait meanwhile. */
  readAttempts?: number;
}

export const DEFAULT_PROJECTION_READ_ATTEMPTS = 3;
export const DEFAULT_PROJECTION_PAYLOAD_READ_TIMEOUT_MS = 10_000;

export interface RetryResult {
  readonly subject: string;
  /** Commits applied by this retry. */
  readonly applied: number;
  /** The hold in force after the retry: null when the subject is flowing again. */
  readonly hold: ProjectionHold | null;
}

/**
 * The consumer only checks the commit envelope; events are validated here, so that an event this
 * build cannot read holds its subject (and only it) instead of being parked out of order.
 */
export const envelopeOnly: EventParser = (input) => input as GastownEvent;

/**
 * Feeds the read models from the event stream. Each commit is applied in its own transaction
 * together with its subject's checkpoint; gaps (a predecessor not applied yet) are filled from
 * the stream rather than retried, and data that can never be applied holds its subject while
 * every other subject keeps flowing.
 */
export class ProjectionRunner {
  private readonly store: EventStore;
  private readonly parse: EventParser;
  private readonly log: BusLogger;
  private consumer: RunningConsumer | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly bus: Bus,
    private readonly options: ProjectionRunnerOptions = {},
  ) {
    this.parse = options.parse ?? parseEvent;
    this.store = new EventStore(bus, { parse: envelopeOnly, payloadReadTimeoutMs: options.payloadReadTimeoutMs ?? DEFAULT_PROJECTION_PAYLOAD_READ_TIMEOUT_MS });
    this.log = options.logger ?? bus.log;
  }

  get durable(): string {
    return this.options.durable ?? READ_MODELS_DURABLE;
  }

  async start(): Promise<void> {
    if (this.consumer) return;
    await this.recoverParked();
    this.consumer = await runMessageConsumer(this.bus, {
      durable: this.durable,
      filterSubject: this.bus.names.allEvents,
      maxDeliver: this.options.maxDeliver ?? 10,
      ackWaitMs: this.options.ackWaitMs ?? 30_000,
      backoffMs: this.options.backoffMs ?? [100, 250, 500, 1000, 2000, 5000],
      handler: (message) => this.onMessage(message),
    });
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = null;
    await consumer?.stop();
  }

  /** Whether the consumer is bound and pulling (for readiness). */
  status(): Promise<ConsumerStatus> {
    return this.consumer?.status() ?? Promise.resolve({ bound: false, reason: 'the projector has not started' });
  }

  /**
   * How far the read models are behind the event stream: the commits not applied yet (delivered
   * or not), and the age of the oldest of them, read from the server (every replica shares the
   * one consumer, so every replica reports the same lag).
   */
  async lag(): Promise<{ messages: number; seconds: number }> {
    const stream = this.bus.names.eventStream;
    const info = await this.bus.jsm.consumers.info(stream, this.durable);
    const messages = info.num_pending + info.num_ack_pending;
    if (messages === 0) return { messages, seconds: 0 };
    const oldest = await this.bus.jsm.streams.getMessage(stream, { seq: info.ack_floor.stream_seq + 1 }).catch(() => null);
    return { messages, seconds: oldest ? Math.max(0, (Date.now() - oldest.time.getTime()) / 1000) : 0 };
  }

  /** One delivered message: decoded here, so that a commit that cannot be read holds its own subject only. */
  async onMessage(message: RawStoredMessage): Promise<void> {
    if (await isHeld(this.dataSource, message.subject)) return;
    const commit = await this.decode(message);
    if (commit) await this.apply(commit);
  }

  /**
   * The commit, or null when its subject is now held: its data is broken, or its events (kept in
   * the object store) could not be read in the attempts allowed. Every town's later commits wait
   * behind this one, so a read that hangs is bounded by deadline and attempts, never by the
   * consumer's redeliveries. Other failures (NATS away) go back to the consumer's back-off.
   */
  private async decode(message: RawStoredMessage): Promise<StoredCommit | null> {
    const attempts = this.options.readAttempts ?? DEFAULT_PROJECTION_READ_ATTEMPTS;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.store.decodeCommit(message);
      } catch (error) {
        if (error instanceof PoisonMessageError) {
          await this.hold(message.subject, message.seq, error.reason);
          return null;
        }
        if (!(error instanceof PayloadReadTimeoutError)) throw error;
        if (attempt >= attempts) {
          await this.hold(message.subject, message.seq, `its events could not be read in ${attempts} attempts: ${error.message}`);
          return null;
        }
        this.log.warn(`could not read ${message.subject}#${message.seq} (${error.message}); trying again`);
        await delay(250 * attempt);
      }
    }
  }

  /**
   * One decoded commit. A held subject's later commits are acknowledged without being applied:
   * the retry re-reads them from the stream in order.
   */
  async onDelivered(delivered: StoredCommit): Promise<void> {
    if (await isHeld(this.dataSource, delivered.subject)) return;
    await this.apply(delivered);
  }

  private async apply(commit: StoredCommit): Promise<void> {
    const outcome = await this.project(commit);
    if (outcome === 'gap') await this.catchUp(commit.subject, commit.seq);
  }

  /** Lifts the hold of one subject and applies what the stream holds for it, holding again on the first failure. */
  async retryHeld(subject: string): Promise<RetryResult> {
    await releaseHold(this.dataSource, subject);
    this.log.info(`retrying projection of ${subject}`);
    const applied = await this.catchUp(subject, Number.MAX_SAFE_INTEGER);
    const hold = (await listHolds(this.dataSource)).find((h) => h.subject === subject) ?? null;
    return { subject, applied, hold };
  }

  /** Retries every held subject, after catching up any subject whose commit the consumer parked. */
  async retryAllHeld(): Promise<RetryResult[]> {
    await this.recoverParked();
    const results: RetryResult[] = [];
    for (const hold of await listHolds(this.dataSource)) results.push(await this.retryHeld(hold.subject));
    return results;
  }

  /**
   * The operator gives up on the held commit: it is never applied, the reason is recorded for the
   * convoy's history, and the subject's later commits are applied (holding again on the next failure).
   */
  async skipHeld(subject: string, reason: string): Promise<RetryResult & { readonly skipped: ProjectionHold }> {
    const skipped = await this.dataSource.transaction((tx) => skipHeldCommit(tx, subject, reason));
    if (!skipped) throw new Error(`${subject} is not held by the projector`);
    this.log.warn(`skipped ${subject} seq ${skipped.seq} (held: ${skipped.reason}) on the operator's word: ${reason}`);
    const applied = await this.catchUp(subject, Number.MAX_SAFE_INTEGER);
    const hold = (await listHolds(this.dataSource)).find((h) => h.subject === subject) ?? null;
    return { subject, applied, hold, skipped };
  }

  holds(): Promise<ProjectionHold[]> {
    return listHolds(this.dataSource);
  }

  /**
   * A commit the consumer parked (e.g. the database was down for longer than the back-off) is
   * still in the stream: catch its subject up so it is not left behind until its next commit.
   */
  async recoverParked(): Promise<void> {
    const parked = await readDeadLetters(this.bus, this.durable);
    const subjects = new Map<string, number>();
    for (const letter of parked) subjects.set(letter.subject, Math.max(letter.streamSeq, subjects.get(letter.subject) ?? 0));
    for (const [subject, seq] of subjects) {
      if ((await checkpointOf(this.dataSource, subject)) >= seq || (await isHeld(this.dataSource, subject))) continue;
      this.log.warn(`catching up ${subject}: the consumer parked seq ${seq} before it was applied`);
      await this.catchUp(subject, seq);
    }
  }

  /** Validates the events with this build's parser, then applies the commit; data problems hold the subject. */
  private async project(commit: StoredCommit): Promise<ProjectOutcome> {
    try {
      const parsed = { ...commit, events: commit.events.map((e) => this.parse(e)) };
      return await applyInTransaction(this.dataSource, parsed, commit.events);
    } catch (error) {
      const reason = poisonReason(error);
      if (reason === null) throw error;
      await this.hold(commit.subject, commit.seq, reason);
      return 'held';
    }
  }

  private async hold(subject: string, seq: number, reason: string): Promise<void> {
    await holdSubject(this.dataSource, subject, seq, reason);
    this.log.error(`projection of ${subject} held at seq ${seq}: ${reason}`);
  }

  /** Applies the subject's commits after its checkpoint, in order, up to `upTo`; returns how many were applied. */
  private async catchUp(subject: string, upTo: number): Promise<number> {
    const from = await checkpointOf(this.dataSource, subject);
    let applied = 0;
    for (const item of await this.readAfter(subject, from)) {
      if (item.seq > upTo) break;
      if (item instanceof PoisonMessageError) {
        await this.hold(subject, item.seq, item.reason);
        break;
      }
      const outcome = await this.project(item);
      if (outcome === 'held') break;
      if (outcome === 'gap') {
        const at = await checkpointOf(this.dataSource, subject);
        await this.hold(subject, item.seq, `commit follows seq ${item.prevSeq} but the read model of its subject is at ${at}`);
        break;
      }
      if (outcome === 'applied') applied++;
    }
    return applied;
  }

  /**
   * The subject's commits after `afterSeq`. When one cannot be decoded, the ones before it are
   * still returned (read one by one) followed by the error, so they are applied before the hold.
   */
  private async readAfter(subject: string, afterSeq: number): Promise<(StoredCommit | PoisonMessageError)[]> {
    try {
      return await this.store.readSubject(subject, { afterSeq });
    } catch (error) {
      if (!(error instanceof PoisonMessageError || error instanceof InvalidEventError)) throw error;
    }
    const out: (StoredCommit | PoisonMessageError)[] = [];
    let cursor = afterSeq;
    for (;;) {
      const message = await this.bus.jsm.direct.getMessage(this.bus.names.eventStream, {
        next_by_subj: subject,
        seq: cursor + 1,
      });
      if (!message) return out;
      try {
        out.push(await this.store.decodeCommit({ subject, seq: message.seq, data: message.data, time: message.time }));
      } catch (error) {
        if (!(error instanceof PoisonMessageError)) throw error;
        out.push(error);
        return out;
      }
      cursor = message.seq;
    }
  }
}
