import fc from 'fast-check';
import { TokenBucket, TownBuckets } from './graphql.rate-limit';

describe('token bucket', () => {
  it('given a full bucket, when its burst is taken at once, then all pass and the next waits one refill', () => {
    const bucket = new TokenBucket({ burst: 5, perSecond: 2 }, 0);
    for (let i = 0; i < 5; i++) expect(bucket.take(1, 0)).toBe(0);
    expect(bucket.take(1, 0)).toBe(500);
  });

  it('given an empty bucket, when time passes, then it refills at its rate and never above its burst', () => {
    const bucket = new TokenBucket({ burst: 5, perSecond: 2 }, 0);
    bucket.take(5, 0);
    expect(bucket.take(1, 499)).toBeGreaterThan(0);
    expect(bucket.take(1, 500)).toBe(0);
    expect(bucket.state(60_000)).toEqual({ maximumAvailable: 5, currentlyAvailable: 5, restoreRate: 2 });
  });

  it('given a refused take, when asked again, then nothing was spent by the refusal', () => {
    const bucket = new TokenBucket({ burst: 10, perSecond: 1 }, 0);
    expect(bucket.take(11, 0)).toBe(1_000);
    expect(bucket.take(10, 0)).toBe(0);
  });

  it('given a charge beyond what is left, when the next request asks, then it waits until the debt is repaid', () => {
    const bucket = new TokenBucket({ burst: 100, perSecond: 50 }, 0);
    bucket.charge(300, 0);
    expect(bucket.waitFor(0, 0)).toBe(4_000);
    expect(bucket.waitFor(0, 4_000)).toBe(0);
  });

  it('given any sequence of takes, when they all happen at one instant, then no more than the burst passes (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.array(fc.integer({ min: 1, max: 10 }), { maxLength: 100 }), (burst, takes) => {
        const bucket = new TokenBucket({ burst, perSecond: 1 }, 0);
        const passed = takes.filter((n) => bucket.take(n, 0) === 0).reduce((a, b) => a + b, 0);
        return passed <= burst;
      }),
    );
  });

  it('given two towns, when one empties its bucket, then the other still has all of its own', () => {
    let now = 0;
    const towns = new TownBuckets({ burst: 3, perSecond: 1 }, () => now);
    towns.of('a').take(3, now);
    expect(towns.of('a').take(1, now)).toBeGreaterThan(0);
    expect(towns.of('b').take(3, now)).toBe(0);
    now = 120_000;
    expect(towns.of('a').state(now).currentlyAvailable).toBe(3);
  });
});
