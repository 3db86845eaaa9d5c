/** A bucket's shape: it holds up to `burst` tokens and gains `perSecond` of them each second. */
export interface BucketRate {
  readonly burst: number;
  readonly perSecond: number;
}

export interface BucketState {
  readonly maximumAvailable: number;
  readonly currentlyAvailable: number;
  readonly restoreRate: number;
}

/**
 * A token bucket. `take` spends only when the whole amount is there (a mutation either runs or
 * waits); `charge` spends after the fact and may leave a debt (a query's actual cost is known
 * only once it ran), which later requests wait out. Time is passed in, so tests need no clock.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly rate: BucketRate,
    now: number,
  ) {
    this.tokens = rate.burst;
    this.updatedAt = now;
  }

  private refill(now: number): void {
    const elapsedMs = Math.max(0, now - this.updatedAt);
    this.tokens = Math.min(this.rate.burst, this.tokens + (elapsedMs * this.rate.perSecond) / 1000);
    this.updatedAt = now;
  }

  /** Spends `amount` and answers 0, or spends nothing and answers how many ms until it could. */
  take(amount: number, now: number): number {
    this.refill(now);
    if (this.tokens >= amount) {
      this.tokens -= amount;
      return 0;
    }
    return Math.ceil(((amount - this.tokens) * 1000) / this.rate.perSecond);
  }

  /** How many ms until the bucket holds `amount` again (0: now). */
  waitFor(amount: number, now: number): number {
    this.refill(now);
    return this.tokens >= amount ? 0 : Math.ceil(((amount - this.tokens) * 1000) / this.rate.perSecond);
  }

  /** Spends `amount` whatever is left: a debt delays whoever asks next. */
  charge(amount: number, now: number): void {
    this.refill(now);
    this.tokens -= amount;
  }

  state(now: number): BucketState {
    this.refill(now);
    return { maximumAvailable: this.rate.burst, currentlyAvailable: Math.floor(this.tokens), restoreRate: this.rate.perSecond };
  }

  /** Full again: nothing to remember. */
  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.rate.burst;
  }
}

/**
 * One bucket per town, created on first use and forgotten once full again, so memory follows
 * the towns active in the last burst/perSecond seconds rather than every town ever seen.
 */
export class TownBuckets {
  private readonly buckets = new Map<string, TokenBucket>();
  private sweptAt = 0;

  constructor(
    readonly rate: BucketRate,
    private readonly clock: () => number = Date.now,
  ) {}

  of(townId: string): TokenBucket {
    const now = this.clock();
    this.sweep(now);
    let bucket = this.buckets.get(townId);
    if (!bucket) {
      bucket = new TokenBucket(this.rate, now);
      this.buckets.set(townId, bucket);
    }
    return bucket;
  }

  get now(): number {
    return this.clock();
  }

  private sweep(now: number): void {
    if (now - this.sweptAt < 60_000) return;
    this.sweptAt = now;
    for (const [town, bucket] of this.buckets) if (bucket.isFull(now)) this.buckets.delete(town);
  }
}
