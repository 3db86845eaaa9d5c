import { createHash } from 'node:crypto';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { OverflowCommit } from '@gastown/contracts';
import type { z } from 'zod';
import type { Bus } from './bus.connection';
import { PayloadIntegrityError } from './bus.errors';

/** Where a body too large for one message lives; the same shape for commits and claim checks. */
export const PayloadRef = OverflowCommit.shape.payload;
export type PayloadRef = z.infer<typeof PayloadRef>;

/** Room for the headers (message id, expectations) next to a body at the server's limit. */
const HEADER_MARGIN_BYTES = 4096;
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
/**
 * How long one read of a stored object may take before it is given up. The largest plan the
 * convoy service admits (CONVOY_MAX_PLAN_BYTES) is read in well under a second on a loaded
 * machine; a read that takes this long is stuck (a stalled flow-controlled consumer, say), and
 * without a deadline it would hold its reader, and every message behind it, for ever.
 */
export const DEFAULT_PAYLOAD_READ_TIMEOUT_MS = 30_000;

/** A read of a stored object did not finish in time; nothing says it never will, so callers retry a bounded number of times. */
export class PayloadReadTimeoutError extends Error {
  constructor(
    readonly ref: Pick<PayloadRef, 'bucket' | 'name' | 'size'>,
    readonly timeoutMs: number,
  ) {
    super(`reading object ${ref.bucket}/${ref.name} (${ref.size} bytes) took longer than ${timeoutMs} ms`);
    this.name = 'PayloadReadTimeoutError';
  }
}

export function defaultInlineLimit(bus: Bus): number {
  return (bus.nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD) - HEADER_MARGIN_BYTES;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export class PayloadStore {
  private readonly buckets = new Map<string, Promise<ObjectStore>>();

  constructor(
    private readonly bus: Bus,
    readonly bucket: string,
    private readonly readTimeoutMs = DEFAULT_PAYLOAD_READ_TIMEOUT_MS,
  ) {
    if (!(readTimeoutMs > 0)) throw new Error(`the payload read timeout must be positive, got ${readTimeoutMs}`);
  }

  private open(bucket: string): Promise<ObjectStore> {
    let store = this.buckets.get(bucket);
    if (!store) {
      store = new Objm(this.bus.js).open(bucket);
      store.catch(() => this.buckets.delete(bucket));
      this.buckets.set(bucket, store);
    }
    return store;
  }

  /**
   * Stores the bytes under `name`. With `reuseExisting`, an object already stored under that
   * name is kept as it is: callers put the content hash in the name, and rewriting an object
   * that a reader may be streaming would pull its chunks away mid-read.
   */
  async put(
    name: string,
    bytes: Uint8Array,
    { reuseExisting = false, sha256 = sha256Hex(bytes) }: { reuseExisting?: boolean; sha256?: string } = {},
  ): Promise<{ ref: PayloadRef; created: boolean }> {
    const ref: PayloadRef = { bucket: this.bucket, name, size: bytes.length, sha256 };
    const store = await this.open(this.bucket);
    if (reuseExisting) {
      const existing = await store.info(name);
      if (existing && !existing.deleted && existing.size === bytes.length) return { ref, created: false };
    }
    await store.putBlob({ name }, bytes);
    return { ref, created: true };
  }

  /**
   * The object's bytes, checked against the reference. The whole read (lookup included) has a
   * deadline: when it passes, the object's consumer is stopped and PayloadReadTimeoutError thrown.
   */
  async get(ref: PayloadRef): Promise<Uint8Array> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.readTimeoutMs);
    try {
      const bytes = await this.read(ref, deadline.signal);
      if (!bytes) throw new PayloadIntegrityError(`object ${ref.bucket}/${ref.name} is missing`);
      if (bytes.length !== ref.size || sha256Hex(bytes) !== ref.sha256) {
        throw new PayloadIntegrityError(`object ${ref.bucket}/${ref.name} does not match its size or sha256`);
      }
      return bytes;
    } finally {
      clearTimeout(timer);
    }
  }

  private async read(ref: PayloadRef, deadline: AbortSignal): Promise<Uint8Array | null> {
    const timedOut = () => new PayloadReadTimeoutError(ref, this.readTimeoutMs);
    const expired = new Promise<never>((_, reject) => {
      if (deadline.aborted) reject(timedOut());
      deadline.addEventListener('abort', () => reject(timedOut()), { once: true });
    });
    expired.catch(() => undefined);
    const store = await Promise.race([this.open(ref.bucket), expired]);
    const object = await Promise.race([store.get(ref.name), expired]);
    if (!object) return null;
    // The library reports a broken read through `error` and may leave the data stream open.
    object.error.catch(() => undefined);
    const reader = object.data.getReader();
    deadline.addEventListener('abort', () => void reader.cancel().catch(() => undefined), { once: true });
    const chunks: Uint8Array[] = [];
    let length = 0;
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), expired]);
      if (done) break;
      chunks.push(value);
      length += value.length;
      if (length > ref.size) {
        await reader.cancel().catch(() => undefined);
        throw new PayloadIntegrityError(`object ${ref.bucket}/${ref.name} is larger than its ${ref.size} bytes`);
      }
    }
    const failure = await Promise.race([object.error, expired]);
    if (failure) throw failure;
    return Buffer.concat(chunks, length);
  }

  async delete(ref: Pick<PayloadRef, 'bucket' | 'name'>): Promise<void> {
    const store = await this.open(ref.bucket);
    await store.delete(ref.name);
  }
}
