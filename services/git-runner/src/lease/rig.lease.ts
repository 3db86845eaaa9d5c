import { JetStreamApiCodes, JetStreamApiError, StorageType } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { Names } from '@gastown/contracts';
import { ensureKv, type Bus } from '@gastown/bus';

/** The rig lease is gone (expired and taken, or released): no write to the rig's shared refs may follow. */
export class LeaseLostError extends Error {
  constructor(
    readonly rigId: string,
    readonly reason: string,
  ) {
    super(`lease on rig ${rigId} lost: ${reason}`);
    this.name = 'LeaseLostError';
  }
}

/** Another holder kept the rig for the whole wait. */
export class LeaseUnavailableError extends Error {
  constructor(
    readonly rigId: string,
    readonly holder: string,
    readonly waitedMs: number,
  ) {
    super(`rig ${rigId} is held by ${holder}; gave up after ${waitedMs} ms`);
    this.name = 'LeaseUnavailableError';
  }
}

export interface RigLeaseOptions {
  /** Names this replica in the lease value, for operators reading the bucket. */
  holderId: string;
  /** How long a lease outlives its holder's last renewal. */
  ttlMs?: number;
  /**
   * How often a held lease renews itself; default ttl/3, so two renewals may fail before it
   * lapses. 0 turns automatic renewal off: the holder renews by calling `renew()` as its work
   * progresses, so a holder that hangs loses the lease instead of a timer keeping it alive.
   */
  renewEveryMs?: number;
}

export interface AcquireOptions {
  /** How long to wait while another holder's lease is live; 0 tries once. */
  waitMs?: number;
}

export interface HeldRigLease {
  readonly rigId: string;
  /** The KV revision of our last write: the fencing token. It grows with every renewal. */
  readonly token: number;
  /** True once the lease is no longer ours: taken over, expired, or released. */
  readonly lost: boolean;
  /** Aborted when the lease is lost, so long work under it can stop early. */
  readonly signal: AbortSignal;
  /** Throws LeaseLostError unless the lease is still ours and live. Call immediately before every shared-ref write. */
  fence(): Promise<void>;
  /** Extends the lease by one ttl; throws LeaseLostError when someone else took it. */
  renew(): Promise<void>;
  /** Gives the lease up, if it is still ours. Idempotent. */
  release(): Promise<void>;
}

interface LeaseValue {
  holder: string;
  /** Milliseconds since the epoch on the writer's clock. */
  expiresAt: number;
}

/**
 * On 2.9 a bucket's max age is its only expiry (no per-key TTL), so it collects leases a crashed
 * holder never released; liveness itself is `expiresAt`, renewed by update well inside it.
 */
const BUCKET_MAX_AGE_MS = 10 * 60_000;
const FIRST_BACKOFF_MS = 5;
const MAX_BACKOFF_MS = 250;
const KEY_PART = /^[A-Za-z0-9_-]+$/;

export function leaseBucket(names: Names): string {
  return names.leaseBucket;
}

/**
 * Mutual exclusion per rig across every git-runner replica, on NATS KV. Each lease is one key;
 * every write is a compare-and-set on the key's revision, and the revision that holds the lease
 * is the fencing token. Expiry is judged from `expiresAt`, so replicas' clocks should agree to
 * well within a ttl; if they do not, two holders can believe in one lease, and the fence (the
 * revision check) plus the compare-and-set push of the ref still keep their writes apart.
 */
export class RigLease {
  readonly holderId: string;
  readonly ttlMs: number;
  private readonly renewEveryMs: number;
  private bucket: Promise<KV> | undefined;

  constructor(
    private readonly bus: Bus,
    options: RigLeaseOptions,
  ) {
    this.holderId = options.holderId;
    this.ttlMs = options.ttlMs ?? 15_000;
    this.renewEveryMs = options.renewEveryMs ?? Math.floor(this.ttlMs / 3);
    if (this.ttlMs <= 0 || this.ttlMs * 2 > BUCKET_MAX_AGE_MS) {
      throw new Error(`lease ttl ${this.ttlMs} ms must be positive and at most half the bucket's max age`);
    }
  }

  async acquire(rigId: string, { waitMs = 30_000 }: AcquireOptions = {}): Promise<HeldRigLease> {
    if (!KEY_PART.test(rigId)) throw new Error(`rig id ${JSON.stringify(rigId)} cannot name a lease`);
    const kv = await this.kv();
    const key = `rig.${rigId}`;
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      const entry = await kv.get(key);
      const current = entry?.operation === 'PUT' ? readValue(entry.value) : undefined;
      const expiresAt = Date.now() + this.ttlMs;
      const value = encode({ holder: this.holderId, expiresAt });
      if (!entry || !current || current.expiresAt < Date.now()) {
        try {
          // Expired or unreadable: take it over from exactly the value we read. Absent or released:
          // create (which takes over a delete marker by its revision).
          const revision =
            entry?.operation === 'PUT' ? await kv.update(key, value, entry.revision) : await kv.create(key, value);
          return new Lease(kv, key, rigId, this.holderId, this.ttlMs, this.renewEveryMs, revision, expiresAt);
        } catch (error) {
          // Another contender wrote between our read and our write: read again.
          if (!isWrongSequence(error)) throw error;
        }
      }
      const waited = Date.now() - started;
      if (waited >= waitMs) throw new LeaseUnavailableError(rigId, current?.holder ?? 'another holder', waited);
      const backoff = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.min(attempt, 10));
      await sleep(Math.min(waitMs - waited, backoff / 2 + Math.random() * (backoff / 2)));
    }
  }

  /** Creates the bucket on first use; concurrent creation by several replicas is a no-op on the server. */
  private kv(): Promise<KV> {
    // No direct gets: a fence must read the key from the stream leader, never from a replica
    // that may not have seen the takeover yet.
    this.bucket ??= ensureKv(this.bus, leaseBucket(this.bus.names), { history: 1, ttl: BUCKET_MAX_AGE_MS, storage: StorageType.File, allow_direct: false })
      .catch((error: unknown) => {
        this.bucket = undefined;
        throw error;
      });
    return this.bucket;
  }
}

/** Runs `work` while holding the rig's lease and releases it afterwards, whatever happened. */
export async function withRigLease<T>(
  lease: RigLease,
  rigId: string,
  work: (held: HeldRigLease) => Promise<T>,
  options?: AcquireOptions,
): Promise<T> {
  const held = await lease.acquire(rigId, options);
  try {
    return await work(held);
  } finally {
    await held.release();
  }
}

class Lease implements HeldRigLease {
  private revision: number;
  private expiresAt: number;
  private lostReason: string | undefined;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;
  /**
   * fence, renew and release each read or move the revision: one at a time, or a fence could
   * read a renewal's new revision before the renewal has handed it to us.
   */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly kv: KV,
    private readonly key: string,
    readonly rigId: string,
    private readonly holder: string,
    private readonly ttlMs: number,
    renewEveryMs: number,
    revision: number,
    expiresAt: number,
  ) {
    this.revision = revision;
    this.expiresAt = expiresAt;
    if (renewEveryMs > 0) {
      // A failed renewal marks the lease lost (or is retried on the next tick when NATS was
      // only unreachable); the holder learns it from fence(), its signal or its own renew().
      this.timer = setInterval(() => {
        // A renewal stuck on a slow server must not queue more behind it.
        this.renewing ??= this.renew()
          .catch(() => undefined)
          .finally(() => {
            this.renewing = undefined;
          });
      }, renewEveryMs);
      this.timer.unref();
    }
  }

  get token(): number {
    return this.revision;
  }

  get lost(): boolean {
    return this.lostReason !== undefined;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  readonly fence = (): Promise<void> =>
    this.serial(async () => {
      this.throwIfLost();
      const entry = await this.kv.get(this.key);
      if (!entry || entry.operation !== 'PUT' || entry.revision !== this.revision) {
        throw this.lose('another holder took it over');
      }
      if (this.expiresAt <= Date.now()) throw this.lose('it expired before it was renewed');
    });

  readonly renew = (): Promise<void> =>
    this.serial(async () => {
      this.throwIfLost();
      const expiresAt = Date.now() + this.ttlMs;
      try {
        this.revision = await this.kv.update(this.key, encode({ holder: this.holder, expiresAt }), this.revision);
        this.expiresAt = expiresAt;
      } catch (error) {
        if (isWrongSequence(error)) throw this.lose('another holder took it over');
        if (this.expiresAt <= Date.now()) throw this.lose('it expired while it could not be renewed');
        throw error;
      }
    });

  readonly release = (): Promise<void> =>
    this.serial(async () => {
      if (this.lost) return;
      this.stop('released');
      try {
        await this.kv.delete(this.key, { previousSeq: this.revision });
      } catch (error) {
        // Already someone else's: nothing of ours to delete.
        if (!isWrongSequence(error)) throw error;
      }
    });

  private serial<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.queue.then(operation, operation);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private throwIfLost(): void {
    if (this.lostReason !== undefined) throw new LeaseLostError(this.rigId, this.lostReason);
  }

  private lose(reason: string): LeaseLostError {
    this.stop(reason);
    return new LeaseLostError(this.rigId, reason);
  }

  private stop(reason: string): void {
    this.lostReason ??= reason;
    clearInterval(this.timer);
    this.controller.abort(new LeaseLostError(this.rigId, reason));
  }
}

function encode(value: LeaseValue): string {
  return JSON.stringify(value);
}

function readValue(data: Uint8Array): LeaseValue | undefined {
  try {
    const value = JSON.parse(new TextDecoder().decode(data)) as Partial<LeaseValue>;
    return typeof value.holder === 'string' && typeof value.expiresAt === 'number' ? (value as LeaseValue) : undefined;
  } catch {
    return undefined;
  }
}

function isWrongSequence(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence || error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, Math.max(0, ms)));
}
