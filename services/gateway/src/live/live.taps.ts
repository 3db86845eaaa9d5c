import type { StoredCommit } from '@gastown/bus';
import type { CommitSource } from './live.feed';

/** Commits a subscriber may have waiting on a shared follower before it is cut off (a client that reads too slowly). */
export const TAP_QUEUE_LIMIT = 64;

/** A subscriber read too slowly and was dropped from its shared follower; it resumes with afterSequence. */
export class FellBehindError extends Error {
  override readonly name = 'FellBehindError';

  constructor(readonly lastSequence: number | null) {
    super(`the subscription fell more than ${TAP_QUEUE_LIMIT} changes behind`);
  }
}

/** Where a shared follower starts, and how to open it. */
export interface TapSource {
  /** The stream's last sequence now: a new shared follower starts after it. */
  lastSequence(): Promise<number>;
  open(afterSeq: number): Promise<CommitSource>;
}

class Subscriber implements CommitSource {
  private readonly queue: StoredCommit[] = [];
  private wake: (() => void) | null = null;
  private ended: { error?: unknown } | null = null;
  private lastSequence: number | null = null;
  private fellBehind = false;

  constructor(
    /** Commits up to this sequence are skipped: a subscriber that resumed after it. */
    private readonly afterSeq: number,
    private readonly leave: (subscriber: Subscriber) => void,
  ) {}

  push(commit: StoredCommit): void {
    if (this.ended || commit.seq <= this.afterSeq) return;
    if (this.queue.length >= TAP_QUEUE_LIMIT) {
      // What it has queued is still handed out: the error then names the last of it, to resume after.
      this.fellBehind = true;
      this.end();
      this.leave(this);
      return;
    }
    this.queue.push(commit);
    this.wakeUp();
  }

  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = error === undefined ? {} : { error };
    this.wakeUp();
  }

  async next(): Promise<IteratorResult<StoredCommit>> {
    for (;;) {
      const commit = this.queue.shift();
      if (commit) {
        this.lastSequence = commit.seq;
        return { done: false, value: commit };
      }
      if (this.ended) {
        if (this.fellBehind) throw new FellBehindError(this.lastSequence);
        if (this.ended.error !== undefined) throw this.ended.error;
        return { done: true, value: undefined };
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  async return(): Promise<IteratorResult<StoredCommit>> {
    this.queue.length = 0;
    this.fellBehind = false;
    this.end();
    this.leave(this);
    return { done: true, value: undefined };
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

/** One follower of one filter subject and the subscribers it feeds; it ends with its last subscriber. */
class Tap {
  readonly subscribers = new Set<Subscriber>();
  /** The last sequence handed to the subscribers: one who resumes after it misses nothing by joining. */
  position: number;
  private stopped = false;

  constructor(
    private readonly follower: CommitSource,
    startedAfter: number,
    private readonly onEnd: () => void,
  ) {
    this.position = startedAfter;
    void this.pump();
  }

  /** False once it has stopped (its last subscriber left, or its follower ended): no one may join it. */
  get open(): boolean {
    return !this.stopped;
  }

  leave(subscriber: Subscriber): void {
    this.subscribers.delete(subscriber);
    if (this.subscribers.size === 0) void this.stop();
  }

  private async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.onEnd();
    await this.follower.return();
  }

  /** Reads ahead of no one: each commit goes to every subscriber's queue, and a full queue drops its subscriber. */
  private async pump(): Promise<void> {
    try {
      for (;;) {
        const next = await this.follower.next();
        if (next.done || this.stopped) break;
        this.position = next.value.seq;
        for (const subscriber of [...this.subscribers]) subscriber.push(next.value);
      }
      for (const subscriber of this.subscribers) subscriber.end();
    } catch (error) {
      for (const subscriber of this.subscribers) subscriber.end(error);
    }
    this.subscribers.clear();
    await this.stop();
  }
}

/**
 * Stream followers shared by the subscriptions of one filter subject (a town's convoys, one
 * convoy): 256 subscriptions of a town cost one JetStream consumer and one decoding of each
 * commit, not 256. A subscription joins the shared follower when it misses nothing by it: it
 * starts from now, or resumes after a sequence the follower has not passed. One that resumes
 * further back replays on a follower of its own (`replay`). A subscriber that lets
 * TAP_QUEUE_LIMIT commits pile up is dropped (FellBehindError) rather than holding the others back
 * or filling memory; it resumes after the last change it got.
 */
export class LiveTaps {
  private readonly taps = new Map<string, Promise<Tap>>();

  async follow(filterSubject: string, source: TapSource, afterSeq: number | undefined, replay: (afterSeq: number) => Promise<CommitSource>): Promise<CommitSource> {
    const existing = await this.running(filterSubject);
    if (existing && (afterSeq === undefined || afterSeq >= existing.position)) return this.join(existing, afterSeq ?? existing.position);
    if (existing) return replay(afterSeq as number);
    const last = await source.lastSequence();
    if (afterSeq !== undefined && afterSeq < last) return replay(afterSeq);
    for (;;) {
      // Looked up and started in one step: subscriptions that start together share the one follower.
      const tap = await (this.taps.get(filterSubject) ?? this.start(filterSubject, source, last));
      // A follower that stopped meanwhile has left the map: the next turn starts another.
      if (tap.open) return this.join(tap, afterSeq ?? last);
    }
  }

  private async running(filterSubject: string): Promise<Tap | undefined> {
    const tap = await this.taps.get(filterSubject)?.catch(() => undefined);
    return tap?.open ? tap : undefined;
  }

  /** Shared followers running now, for tests and metrics. */
  get size(): number {
    return this.taps.size;
  }

  private start(filterSubject: string, source: TapSource, after: number): Promise<Tap> {
    const starting = source.open(after).then((follower) => {
      const tap: Tap = new Tap(follower, after, () => {
        if (this.taps.get(filterSubject) === starting) this.taps.delete(filterSubject);
      });
      return tap;
    });
    this.taps.set(filterSubject, starting);
    starting.catch(() => {
      if (this.taps.get(filterSubject) === starting) this.taps.delete(filterSubject);
    });
    return starting;
  }

  private join(tap: Tap, afterSeq: number): CommitSource {
    const subscriber = new Subscriber(afterSeq, (s) => tap.leave(s));
    tap.subscribers.add(subscriber);
    return subscriber;
  }
}
