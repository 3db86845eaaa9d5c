import { Logger } from '@nestjs/common';
import { JetStreamApiCodes, JetStreamApiError, StorageType } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { ensureKv, type Bus } from '@gastown/bus';
import { AttemptClaim, attemptClaimKey } from '@gastown/contracts';
import type { ConvoyReport } from '../jobs/convoy.commands';

/** The shared claim shape, with the report this runner wrote into it. */
type ClaimValue = Omit<AttemptClaim, 'report'> & { report?: ConvoyReport | null };

export type ClaimResult =
  | { kind: 'claimed'; claim: HeldClaim }
  /** Another live runner holds the attempt: this delivery is a duplicate. */
  | { kind: 'running'; runnerId: string }
  /** The holder stopped heartbeating: its agent is lost. */
  | { kind: 'stale'; runnerId: string }
  /** The attempt is over; its report, if any, may still have to reach the convoy service. */
  | { kind: 'finished'; report: ConvoyReport | null };

const CLAIM_TRIES = 5;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function isWrongSequence(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence || error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

function encode(value: ClaimValue): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

function decode(data: Uint8Array): ClaimValue | undefined {
  try {
    const value = AttemptClaim.safeParse(JSON.parse(decoder.decode(data)));
    // Runners write only their own reports into claims, so what one reads back is a ConvoyReport.
    return value.success ? (value.data as ClaimValue) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Which runner runs which attempt, on NATS KV (`names.claimsBucket`, key `agent.<bead>.<attempt>`).
 * Claims are the history of who ran which attempt: kept, never expired or deleted.
 * Creating the key is the claim, so one attempt gets one agent however often its job is
 * delivered. The holder heartbeats the claim as it heartbeats the job; a reader tells a live
 * holder (a duplicate delivery: drop it) from a dead one (its agent is lost) by that heartbeat,
 * judged on the readers' clocks, which must agree to well within the ack wait.
 */
export class AttemptClaims {
  private readonly logger = new Logger('git-runner');
  private bucket: Promise<KV> | undefined;

  private readonly heartbeatMs: number;
  private readonly staleAfterMs: number;

  /**
   * A job is redelivered an ack wait after its last `working()`, which comes every third of it, so
   * a dead holder's claim is at least two thirds of an ack wait old by then. A live holder renews
   * every sixth, so half an ack wait tells the two apart with room on both sides.
   */
  constructor(
    private readonly bus: Bus,
    private readonly runnerId: string,
    ackWaitMs: number,
  ) {
    this.heartbeatMs = Math.max(1, Math.floor(ackWaitMs / 6));
    this.staleAfterMs = Math.floor(ackWaitMs / 2);
  }

  async claim(beadId: string, attempt: number): Promise<ClaimResult> {
    const kv = await this.kv();
    const key = attemptClaimKey(beadId, attempt);
    const running = (): ClaimValue => ({ runnerId: this.runnerId, state: 'running', aliveAt: Date.now(), staleAfterMs: this.staleAfterMs });
    for (let tries = 0; tries < CLAIM_TRIES; tries++) {
      try {
        const revision = await kv.create(key, encode(running()));
        return { kind: 'claimed', claim: new HeldClaim(kv, key, revision, running, this.heartbeatMs, this.logger) };
      } catch (error) {
        if (!isWrongSequence(error)) throw error;
      }
      const entry = await kv.get(key);
      if (!entry || entry.operation !== 'PUT') continue;
      const value = decode(entry.value);
      if (!value) throw new Error(`claim ${key} holds no claim this runner can read`);
      if (value.state === 'finished') return { kind: 'finished', report: value.report ?? null };
      if (value.state === 'running') {
        return Date.now() - value.aliveAt > value.staleAfterMs ? { kind: 'stale', runnerId: value.runnerId } : { kind: 'running', runnerId: value.runnerId };
      }
      try {
        const revision = await kv.update(key, encode(running()), entry.revision);
        return { kind: 'claimed', claim: new HeldClaim(kv, key, revision, running, this.heartbeatMs, this.logger) };
      } catch (error) {
        // Another runner took the released claim between our read and our write: read again.
        if (!isWrongSequence(error)) throw error;
      }
    }
    throw new Error(`claim ${key} kept changing under ${CLAIM_TRIES} tries`);
  }

  private kv(): Promise<KV> {
    // No direct gets: a claim must be read from the stream leader, never from a lagging replica.
    this.bucket ??= ensureKv(this.bus, this.bus.names.claimsBucket, { history: 1, storage: StorageType.File, allow_direct: false })
      .catch((error: unknown) => {
        this.bucket = undefined;
        throw error;
      });
    return this.bucket;
  }
}

/** A claim this runner holds: heartbeated until it is finished or released. */
export class HeldClaim {
  private readonly timer: NodeJS.Timeout;
  /** Writes go one after another: each states the revision the one before it produced. */
  private queue: Promise<unknown> = Promise.resolve();
  private lostReason: string | undefined;

  constructor(
    private readonly kv: KV,
    readonly key: string,
    private revision: number,
    private readonly running: () => ClaimValue,
    heartbeatMs: number,
    private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => {
      void this.write(this.running()).catch((error: unknown) => {
        this.logger.warn(`could not heartbeat claim ${key}: ${(error as Error).message}`);
      });
    }, heartbeatMs);
  }

  /** The attempt is over; `report` is what goes to the convoy service (null: nothing to tell). */
  finish(report: ConvoyReport | null): Promise<void> {
    clearInterval(this.timer);
    return this.write({ ...this.running(), state: 'finished', report });
  }

  /**
   * Stops heartbeating without a word: the claim goes stale, and the job's next delivery reports
   * the agent lost. What a handler that failed unexpectedly leaves, as a crashed runner would.
   */
  abandon(): void {
    clearInterval(this.timer);
  }

  /** Gives the attempt back before its agent started, so the job's next delivery can run it. */
  release(): Promise<void> {
    clearInterval(this.timer);
    return this.write({ ...this.running(), state: 'released' });
  }

  private write(value: ClaimValue): Promise<void> {
    const run = this.queue.then(async () => {
      if (this.lostReason) throw new Error(this.lostReason);
      try {
        this.revision = await this.kv.update(this.key, encode(value), this.revision);
      } catch (error) {
        if (!isWrongSequence(error)) throw error;
        clearInterval(this.timer);
        this.lostReason = `claim ${this.key} was changed by someone else`;
        throw new Error(this.lostReason);
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
