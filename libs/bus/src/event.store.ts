import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import {
  Commit,
  InvalidEventError,
  parseEvent,
  type GastownEvent,
  type InlineCommit,
  type OverflowCommit,
} from '@gastown/contracts';
import type { Bus } from './bus.connection';
import {
  AppendRefusedError,
  errorMessage,
  PayloadIntegrityError,
  PoisonMessageError,
  WrongExpectedSequenceError,
} from './bus.errors';
import { defaultInlineLimit, PayloadStore, sha256Hex } from './payload.store';
import { lastSeqOf, readRawSubject, type RawStoredMessage } from './subject.reader';
import { carrierOfHeaders, inSpan, SpanKind, traceHeaders, type TraceCarrier } from './telemetry/trace.context';

export type EventParser = (input: unknown) => GastownEvent;

export interface StoredCommit {
  readonly subject: string;
  /** Stream sequence of the commit's message: the subject's version after this decision. */
  readonly seq: number;
  readonly prevSeq: number;
  readonly commitId: string;
  readonly events: GastownEvent[];
  readonly time?: Date;
  /**
   * The trace context the commit was appended in (its message headers), so that whoever acts on
   * it (a dispatch, a job) continues the trace of the command that decided it.
   */
  readonly trace?: TraceCarrier;
}

export interface AppendRequest {
  /** The command id: a repeat inside the dedupe window returns the first result. */
  commitId: string;
  /** The subject's last sequence the decision was made on; 0 when the subject must be empty. */
  expectedSeq: number;
  events: GastownEvent[];
}

export interface AppendResult {
  seq: number;
  duplicate: boolean;
}

export interface EventStoreOptions {
  /** Serialized commits above this go to the object store. Default: server max_payload minus a header margin. */
  inlineLimitBytes?: number;
  /** Replaces parseEvent from contracts, e.g. createEventParser with extra upcasters. */
  parse?: EventParser;
  /** Deadline of one read of an overflow object; default DEFAULT_PAYLOAD_READ_TIMEOUT_MS. */
  payloadReadTimeoutMs?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const CONFLICT_CODES: readonly number[] = [
  JetStreamApiCodes.StreamWrongLastSequence,
  JetStreamApiCodes.StreamWrongLastSequenceUnknown,
];

/**
 * The message id of a commit is its place in the subject's chain (the sequence it follows): two
 * decisions racing for one place share the id, and the server stores only the first. Expecting
 * the subject's last sequence alone is not enough on a replicated stream before nats-server
 * 2.9.21, which checks it before the write is agreed, so concurrent writers all pass
 * (nats-server#4320); the duplicate check does count writes in flight.
 */
function positionId(subject: string, expectedSeq: number): string {
  return `${subject}@${expectedSeq}`;
}

function parseJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(data));
  } catch {
    return undefined;
  }
}

function isConflict(error: JetStreamApiError): boolean {
  return CONFLICT_CODES.includes(error.code);
}

function actualSeqOf(conflict: JetStreamApiError): number | undefined {
  const actual = /wrong last sequence: (\d+)/.exec(conflict.message);
  return actual ? Number(actual[1]) : undefined;
}

/**
 * The event log. One decision is one message (a Commit), published with the subject's expected
 * last sequence, so a decision is either entirely visible to readers or not at all.
 */
export class EventStore {
  private readonly payloads: PayloadStore;
  private readonly parse: EventParser;
  private readonly inlineLimit: number;

  constructor(
    private readonly bus: Bus,
    options: EventStoreOptions = {},
  ) {
    this.payloads = new PayloadStore(bus, bus.names.payloadBucket, options.payloadReadTimeoutMs);
    this.parse = options.parse ?? parseEvent;
    this.inlineLimit = options.inlineLimitBytes ?? defaultInlineLimit(bus);
  }

  async append(subject: string, request: AppendRequest): Promise<AppendResult> {
    const { commitId, expectedSeq, events } = request;
    if (events.length === 0) throw new Error(`commit ${commitId} on ${subject} has no events`);
    if (!Number.isSafeInteger(expectedSeq) || expectedSeq < 0) {
      throw new Error(`expected sequence ${expectedSeq} on ${subject} is not a sequence`);
    }
    // Readers park what they cannot parse, so an event they would reject must never be stored.
    for (const event of events) this.parse(event);

    const header = { v: 1 as const, commitId, prevSeq: expectedSeq, eventCount: events.length };
    let body = encoder.encode(JSON.stringify({ ...header, events } satisfies InlineCommit));
    let overflow: { name: string; created: boolean } | undefined;
    if (body.length > this.inlineLimit) {
      const eventsJson = encoder.encode(JSON.stringify(events));
      const sha256 = sha256Hex(eventsJson);
      const { ref, created } = await this.payloads.put(`evt/${subject}/${commitId}/${sha256}`, eventsJson, {
        reuseExisting: true,
        sha256,
      });
      overflow = { name: ref.name, created };
      body = encoder.encode(JSON.stringify({ ...header, payload: ref } satisfies OverflowCommit));
    }

    try {
      const ack = await inSpan('publish events', { kind: SpanKind.PRODUCER, attributes: { 'messaging.system': 'nats', 'messaging.destination.name': subject } }, (span) => {
        span.setAttribute('gastown.event_count', events.length);
        // The trace context travels in the headers: the stored commit's body is the same with tracing on or off.
        const headers = traceHeaders();
        return this.bus.js.publish(subject, body, {
          msgID: positionId(subject, expectedSeq),
          expect: { lastSubjectSequence: expectedSeq },
          ...(headers ? { headers } : {}),
        });
      });
      if (ack.duplicate && !(await this.holdsCommit(ack.seq, commitId))) {
        // Another decision took this position while ours was in flight: nothing of ours was stored.
        if (overflow?.created) await this.dropOverflow(overflow.name);
        throw new WrongExpectedSequenceError(subject, expectedSeq, ack.seq);
      }
      if (ack.duplicate && overflow?.created) await this.dropUnreferencedOverflow(ack.seq, overflow.name);
      return { seq: ack.seq, duplicate: ack.duplicate };
    } catch (error) {
      // A timeout or a lost connection may hide a stored commit that references the object: keep
      // it and let the error pass. An answer from the server is definite: nothing was stored.
      if (!(error instanceof JetStreamApiError)) throw error;
      if (overflow?.created) await this.dropOverflow(overflow.name);
      if (isConflict(error)) throw new WrongExpectedSequenceError(subject, expectedSeq, actualSeqOf(error));
      throw new AppendRefusedError(subject, error.code, error.message);
    }
  }

  /** Whether the message at `seq` is the commit `commitId` (a retry of ours) rather than another decision. */
  private async holdsCommit(seq: number, commitId: string): Promise<boolean> {
    const stored = await this.bus.jsm.streams.getMessage(this.bus.names.eventStream, { seq });
    const commit = Commit.safeParse(stored ? parseJson(stored.data) : null);
    return commit.success && commit.data.commitId === commitId;
  }

  /** A retried append whose first attempt stored different events: the new object belongs to no commit. */
  private async dropUnreferencedOverflow(seq: number, name: string): Promise<void> {
    const stored = await this.bus.jsm.streams.getMessage(this.bus.names.eventStream, { seq }).catch(() => null);
    if (!stored) return;
    const commit = Commit.safeParse(parseJson(stored.data));
    if (commit.success && 'payload' in commit.data && commit.data.payload.name === name) return;
    await this.dropOverflow(name);
  }

  private async dropOverflow(name: string): Promise<void> {
    await this.payloads.delete({ bucket: this.payloads.bucket, name }).catch((error: unknown) => {
      this.bus.log.warn(`could not delete the unreferenced overflow object ${name}: ${errorMessage(error)}`);
    });
  }

  async readSubject(subject: string, { afterSeq = 0 }: { afterSeq?: number } = {}): Promise<StoredCommit[]> {
    const messages = await readRawSubject(this.bus, this.bus.names.eventStream, subject, afterSeq);
    const commits: StoredCommit[] = [];
    for (const message of messages) commits.push(await this.decodeCommit(message));
    return commits;
  }

  lastSeq(subject: string): Promise<number> {
    return lastSeqOf(this.bus, this.bus.names.eventStream, subject);
  }

  /**
   * Turns a stored message into its commit. Anything wrong with the stored data itself raises
   * PoisonMessageError; infrastructure failures (object store unreachable, a read past its
   * deadline: PayloadReadTimeoutError) pass through so callers retry them, a bounded number of
   * times.
   */
  async decodeCommit(message: RawStoredMessage): Promise<StoredCommit> {
    const { subject, seq } = message;
    const poison = (reason: string) => new PoisonMessageError(subject, seq, reason);
    // JSON.parse's own message quotes the body, which may carry secrets.
    const json = parseJson(message.data);
    if (json === undefined) throw poison('commit is not valid JSON');
    const commit = Commit.safeParse(json);
    if (!commit.success) {
      throw poison(`not a commit: ${commit.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
    }
    const rawEvents = 'events' in commit.data ? commit.data.events : await this.loadOverflow(commit.data, poison);
    if (!Array.isArray(rawEvents) || rawEvents.length !== commit.data.eventCount) {
      throw poison(`commit announces ${commit.data.eventCount} events but carries ${Array.isArray(rawEvents) ? rawEvents.length : 'none'}`);
    }
    const events = rawEvents.map((raw, index) => {
      try {
        return this.parse(raw);
      } catch (error) {
        if (error instanceof InvalidEventError) throw poison(`event ${index}: ${error.message}`);
        throw error;
      }
    });
    const trace = carrierOfHeaders(message.headers);
    return { subject, seq, prevSeq: commit.data.prevSeq, commitId: commit.data.commitId, events, time: message.time, ...(trace ? { trace } : {}) };
  }

  private async loadOverflow(commit: OverflowCommit, poison: (reason: string) => PoisonMessageError): Promise<unknown> {
    let bytes: Uint8Array;
    try {
      bytes = await this.payloads.get(commit.payload);
    } catch (error) {
      if (error instanceof PayloadIntegrityError) throw poison(error.message);
      throw error;
    }
    const events = parseJson(bytes);
    if (events === undefined) throw poison(`overflow object ${commit.payload.name} is not valid JSON`);
    return events;
  }
}

export function createEventStore(bus: Bus, options?: EventStoreOptions): EventStore {
  return new EventStore(bus, options);
}
