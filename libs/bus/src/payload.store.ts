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
  ) {}

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

  async get(ref: PayloadRef): Promise<Uint8Array> {
    const store = await this.open(ref.bucket);
    const bytes = await store.getBlob(ref.name);
    if (!bytes) throw new PayloadIntegrityError(`object ${ref.bucket}/${ref.name} is missing`);
    if (bytes.length !== ref.size || sha256Hex(bytes) !== ref.sha256) {
      throw new PayloadIntegrityError(`object ${ref.bucket}/${ref.name} does not match its size or sha256`);
    }
    return bytes;
  }

  async delete(ref: Pick<PayloadRef, 'bucket' | 'name'>): Promise<void> {
    const store = await this.open(ref.bucket);
    await store.delete(ref.name);
  }
}
