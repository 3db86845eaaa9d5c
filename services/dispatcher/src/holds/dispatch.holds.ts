import { HoldsRegistry, type Bus, type BusLogger, type HoldRecord, type ReleaseRequest, type SkipRecord } from '@gastown/bus';

const SERVICE = 'dispatcher';

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The record of a hold: a re-hold of the same message (a restart, a failed retry) keeps when it began. */
export function holdRecord(
  previous: HoldRecord | undefined,
  held: { subject: string; seq: number; townId: string; convoyId: string | null; reason: string },
  now: Date,
): HoldRecord {
  const since = previous && previous.seq === held.seq ? previous.since : now.toISOString();
  return { service: SERVICE, ...held, since };
}

/**
 * What to do with an operator's release request: act on the hold it names; drop it when it
 * names a message this replica no longer holds there (a hold resolved or moved on since); leave it
 * to another replica when this one holds nothing on that subject.
 */
export function judgeRelease(hold: HoldRecord | undefined, request: ReleaseRequest): 'act' | 'stale' | 'not-mine' {
  if (!hold) return 'not-mine';
  return hold.seq === request.seq ? 'act' : 'stale';
}

/** Registry holds that this replica, having read the whole stream, no longer has: a re-read resolved them. */
export function resolvedHolds(registry: readonly HoldRecord[], current: ReadonlyMap<string, HoldRecord>): HoldRecord[] {
  // A subject held again (at any message) has had its entry rewritten: only the others are gone.
  return registry.filter((h) => !current.has(h.subject));
}

/**
 * The dispatcher's side of the holds registry: what it holds is written there (so the API and
 * `npm run holds` see it, and a restart keeps when it began), the skips the operator asked for
 * are honoured on every later read, and release requests reach the runner.
 */
export class DispatchHolds {
  private readonly registry: HoldsRegistry;
  /** This replica's holds, by subject. */
  private readonly current = new Map<string, HoldRecord>();
  /** The registry's holds when this replica started: their `since` carries over, stale ones are cleared. */
  private previous = new Map<string, HoldRecord>();
  private readonly skipped = new Set<string>();
  private stopWatching: (() => void) | undefined;

  constructor(
    bus: Bus,
    private readonly log: BusLogger,
  ) {
    this.registry = new HoldsRegistry(bus);
  }

  /** Before the first read of the stream: the skips to honour and the holds to carry over. */
  async load(): Promise<void> {
    const [holds, skips] = await Promise.all([this.registry.holds(SERVICE), this.registry.skips(SERVICE)]);
    this.previous = new Map(holds.map((h) => [h.subject, h]));
    for (const skip of skips) this.skipped.add(`${skip.subject}#${skip.seq}`);
  }

  isSkipped(subject: string, seq: number): boolean {
    return this.skipped.has(`${subject}#${seq}`);
  }

  /**
   * Whether another replica recorded the operator's skip of this message since this one loaded
   * the skips: a replica that re-reads the subject late (it took a retry the others had already
   * answered) must not hold again what the operator gave up on.
   */
  async skippedElsewhere(subject: string, seq: number): Promise<boolean> {
    const skips = await this.registry.skips(SERVICE, subject).catch(() => []);
    if (!skips.some((skip) => skip.seq === seq)) return false;
    this.skipped.add(`${subject}#${seq}`);
    return true;
  }

  /** Subjects this replica holds now (convoys and towns), for the holds gauge. */
  count(): number {
    return this.current.size;
  }

  heldAt(subject: string): HoldRecord | undefined {
    return this.current.get(subject);
  }

  async hold(held: { subject: string; seq: number; townId: string; convoyId: string | null; reason: string }): Promise<void> {
    const record = holdRecord(this.current.get(held.subject) ?? this.previous.get(held.subject), held, new Date());
    this.current.set(held.subject, record);
    const standing = await this.registry
      .holdOnce(record)
      .catch((error: unknown) => void this.log.error(`could not record the hold of ${held.subject} in the registry: ${describe(error)}`));
    if (standing) this.current.set(held.subject, standing);
  }

  /**
   * The subject is about to be read again from its held message on (a town's retry): whatever is
   * still unreadable holds it anew, keeping when the hold began if it is the same message.
   */
  reopen(subject: string): void {
    const record = this.current.get(subject);
    if (!record) return;
    this.current.delete(subject);
    this.previous.set(subject, record);
  }

  async resolved(subject: string): Promise<void> {
    this.current.delete(subject);
    this.previous.delete(subject);
    await this.registry.clearHold(SERVICE, subject).catch((error: unknown) => this.log.error(`could not clear the hold of ${subject}: ${describe(error)}`));
  }

  /** The operator gave up on the held message: recorded first, so that no later read applies it. */
  async skip(hold: HoldRecord, reason: string): Promise<void> {
    const skip: SkipRecord = {
      service: SERVICE,
      subject: hold.subject,
      seq: hold.seq,
      townId: hold.townId,
      convoyId: hold.convoyId,
      reason,
      heldReason: hold.reason,
      skippedAt: new Date().toISOString(),
    };
    await this.registry.recordSkip(skip);
    this.skipped.add(`${hold.subject}#${hold.seq}`);
  }

  /** Once the whole stream is read: holds of the registry that this read did not find again are gone. */
  async settle(): Promise<void> {
    for (const stale of resolvedHolds([...this.previous.values()], this.current)) {
      this.log.info(`${stale.subject} (held at #${stale.seq} since ${stale.since}) reads again: its hold is cleared`);
      await this.resolved(stale.subject);
    }
    this.previous.clear();
  }

  async watch(onRequest: (subject: string, request: ReleaseRequest) => void): Promise<void> {
    this.stopWatching = await this.registry.watchReleases(SERVICE, onRequest, (key) => this.log.warn(`ignoring a malformed release request ${key}`));
  }

  /** The request was acted on (or is stale): `npm run holds` waits for this. */
  async answered(subject: string): Promise<void> {
    await this.registry.clearRelease(SERVICE, subject).catch((error: unknown) => this.log.error(`could not clear the release request of ${subject}: ${describe(error)}`));
  }

  stop(): void {
    this.stopWatching?.();
  }
}
