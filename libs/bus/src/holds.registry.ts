import { Kvm, KvWatchInclude, type KV } from '@nats-io/kv';
import { z } from 'zod';
import type { Bus } from './bus.connection';

/**
 * The services whose holds live in the registry. The gateway's projector keeps its own in the
 * read-model database, beside the rows it would have written.
 */
export const REGISTRY_HOLDERS = ['dispatcher'] as const;
export const RegistryHolder = z.enum(REGISTRY_HOLDERS);
export type RegistryHolder = z.infer<typeof RegistryHolder>;

/** A subject a service stopped reading at `seq`: nothing after it is applied until it is released. */
export const HoldRecord = z.object({
  service: RegistryHolder,
  subject: z.string().min(1),
  seq: z.number().int().positive(),
  townId: z.string().min(1),
  convoyId: z.string().nullable(),
  reason: z.string(),
  /** ISO time the service first held this message: a re-hold of the same message keeps it. */
  since: z.string(),
});
export type HoldRecord = z.infer<typeof HoldRecord>;

/** The operator's word on a hold: read the message again (after a fix), or never apply it. */
export const ReleaseRequest = z.discriminatedUnion('action', [
  z.object({ action: z.literal('retry'), seq: z.number().int().positive(), requestedAt: z.string() }),
  z.object({ action: z.literal('skip'), seq: z.number().int().positive(), reason: z.string().min(1), requestedAt: z.string() }),
]);
export type ReleaseRequest = z.infer<typeof ReleaseRequest>;

/** A message the holder skipped on the operator's word; kept so that every later re-read skips it too. */
export const SkipRecord = HoldRecord.omit({ since: true }).extend({ heldReason: z.string(), skippedAt: z.string() });
export type SkipRecord = z.infer<typeof SkipRecord>;

/*
 * Keys put the service before the subject, so that NATS permissions can say exactly who writes
 * what: only a service writes its own held.<service>.> and skipped.<service>.> keys, and the
 * operator's tools write release.<service>.> (which the service clears once it acted).
 */
export const holdKey = (service: RegistryHolder, subject: string) => `held.${service}.${subject}`;
export const releaseKey = (service: RegistryHolder, subject: string) => `release.${service}.${subject}`;
export const skipKey = (service: RegistryHolder, subject: string, seq: number) => `skipped.${service}.${subject}.${seq}`;

/** What a release request came to once the service acted on it (or what stands if none did in time). */
export type ReleaseOutcome = { readonly answered: true; readonly hold: HoldRecord | null } | { readonly answered: false; readonly hold: HoldRecord | null };

/**
 * The shared registry of holds (a KV bucket of the topology): the holder writes its holds and
 * skips, the gateway and `npm run holds` read them and ask for releases, the holder watches for
 * those requests. A hold survives the holder's restart; the holder clears it once resolved.
 */
export class HoldsRegistry {
  private bucket: Promise<KV> | undefined;

  constructor(private readonly bus: Bus) {}

  async hold(record: HoldRecord): Promise<void> {
    await (await this.kv()).put(holdKey(record.service, record.subject), JSON.stringify(HoldRecord.parse(record)));
  }

  /**
   * Records a hold unless the same message of the same subject is already held there (by another
   * replica, which read the same stream): the record that stands is answered, so every replica
   * tells one `since`.
   */
  async holdOnce(record: HoldRecord): Promise<HoldRecord> {
    const kv = await this.kv();
    const key = holdKey(record.service, record.subject);
    const value = JSON.stringify(HoldRecord.parse(record));
    const created = await kv.create(key, value).then(
      () => true,
      () => false,
    );
    if (created) return record;
    const standing = await this.heldBy(record.service, record.subject);
    if (standing && standing.seq === record.seq) return standing;
    await kv.put(key, value);
    return record;
  }

  async clearHold(service: RegistryHolder, subject: string): Promise<void> {
    await (await this.kv()).delete(holdKey(service, subject));
  }

  async heldBy(service: RegistryHolder, subject: string): Promise<HoldRecord | null> {
    return this.read(holdKey(service, subject), HoldRecord);
  }

  /** Every hold of one service, or of all of them. */
  async holds(service?: RegistryHolder): Promise<HoldRecord[]> {
    return this.readAll(service ? `held.${service}.>` : 'held.>', HoldRecord);
  }

  async recordSkip(skip: SkipRecord): Promise<void> {
    await (await this.kv()).put(skipKey(skip.service, skip.subject, skip.seq), JSON.stringify(SkipRecord.parse(skip)));
  }

  /** The skips of one service, of one subject when given. */
  async skips(service: RegistryHolder, subject?: string): Promise<SkipRecord[]> {
    return this.readAll(subject ? `skipped.${service}.${subject}.*` : `skipped.${service}.>`, SkipRecord);
  }

  async requestRelease(service: RegistryHolder, subject: string, request: ReleaseRequest): Promise<void> {
    await (await this.kv()).put(releaseKey(service, subject), JSON.stringify(ReleaseRequest.parse(request)));
  }

  async clearRelease(service: RegistryHolder, subject: string): Promise<void> {
    await (await this.kv()).delete(releaseKey(service, subject));
  }

  /**
   * Calls `onRequest` for every release request of the service, those made while it was away
   * first; malformed requests are reported and otherwise ignored. Resolves to a stop function.
   */
  async watchReleases(
    service: RegistryHolder,
    onRequest: (subject: string, request: ReleaseRequest) => void,
    onMalformed: (key: string) => void,
  ): Promise<() => void> {
    const prefix = `release.${service}.`;
    const watch = await (await this.kv()).watch({ key: `${prefix}>`, ignoreDeletes: true });
    void (async () => {
      for await (const entry of watch) {
        const parsed = ReleaseRequest.safeParse(safeJson(entry.value));
        if (parsed.success) onRequest(entry.key.slice(prefix.length), parsed.data);
        else onMalformed(entry.key);
      }
    })();
    return () => watch.stop();
  }

  /**
   * Asks the service to release the hold and waits until it clears the request (it acted: the
   * hold is gone, or stands again with the new reason), or `timeoutMs` passes.
   */
  async release(service: RegistryHolder, subject: string, request: ReleaseRequest, timeoutMs: number): Promise<ReleaseOutcome> {
    const kv = await this.kv();
    const key = releaseKey(service, subject);
    const watch = await kv.watch({ key, include: KvWatchInclude.UpdatesOnly });
    let timer: NodeJS.Timeout | undefined;
    try {
      const cleared = (async () => {
        for await (const entry of watch) if (entry.operation !== 'PUT') return true;
        return false;
      })();
      await this.requestRelease(service, subject, request);
      const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
      const answered = await Promise.race([cleared, timedOut]);
      return { answered, hold: await this.heldBy(service, subject) };
    } finally {
      clearTimeout(timer);
      watch.stop();
    }
  }

  private async read<T>(key: string, schema: z.ZodType<T>): Promise<T | null> {
    const entry = await (await this.kv()).get(key);
    if (!entry || entry.operation !== 'PUT') return null;
    const parsed = schema.safeParse(safeJson(entry.value));
    return parsed.success ? parsed.data : null;
  }

  private async readAll<T>(filter: string, schema: z.ZodType<T>): Promise<T[]> {
    const keys: string[] = [];
    for await (const key of await (await this.kv()).keys(filter)) keys.push(key);
    const values = await Promise.all(keys.sort().map((key) => this.read(key, schema)));
    return values.filter((v): v is Awaited<T> => v !== null) as T[];
  }

  private kv(): Promise<KV> {
    this.bucket ??= new Kvm(this.bus.js).open(this.bus.names.holdsBucket).catch((error: unknown) => {
      this.bucket = undefined;
      throw error;
    });
    return this.bucket;
  }
}

function safeJson(value: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(value)) as unknown;
  } catch {
    return null;
  }
}
