import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import { attemptOutcome, retryDelaysMs } from './webhook.deliverer';
import { webhookSignature } from './webhook.signature';

const SETTINGS = { maxAttempts: 8, retryBaseMs: 5_000, retryMaxMs: 600_000, timeoutMs: 10_000, concurrency: 8 };
const result = (statusCode: number | null) => ({ statusCode, error: statusCode === null ? 'no answer' : null, durationMs: 3 });

describe('webhook deliverer rules', () => {
  it('given the defaults, when the retry schedule is computed, then 7 pauses double from 5 s and stop at 10 min', () => {
    expect(retryDelaysMs(SETTINGS)).toEqual([5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000]);
    expect(retryDelaysMs({ ...SETTINGS, maxAttempts: 10 }).slice(-2)).toEqual([600_000, 600_000]);
  });

  it('given any settings, when the schedule is computed, then it has one pause fewer than attempts, never shrinks and stays within base and cap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 60_000 }), fc.integer({ min: 0, max: 600_000 }), (maxAttempts, base, extra) => {
        const delays = retryDelaysMs({ ...SETTINGS, maxAttempts, retryBaseMs: base, retryMaxMs: base + extra });
        expect(delays).toHaveLength(maxAttempts - 1);
        delays.forEach((delay, i) => {
          expect(delay).toBeGreaterThanOrEqual(base);
          expect(delay).toBeLessThanOrEqual(base + extra);
          if (i > 0) expect(delay).toBeGreaterThanOrEqual(delays[i - 1]);
        });
      }),
    );
  });

  it.each([
    [200, 1, 'DELIVERED'],
    [204, 8, 'DELIVERED'],
    [301, 1, 'RETRYING'],
    [500, 7, 'RETRYING'],
    [500, 8, 'FAILED'],
    [null, 2, 'RETRYING'],
    [null, 8, 'FAILED'],
  ] as const)('given status %p on attempt %p of 8, when judged, then the delivery is %s', (status, attempt, outcome) => {
    expect(attemptOutcome(result(status), attempt, 8)).toBe(outcome);
  });

  it('given a secret, a timestamp and a body, when signed, then a receiver recomputing HMAC-SHA256 over "timestamp.body" gets the same', () => {
    const secret = 'q3Jt1V8fZx0cK2mN5pR7sT9uW4yA6bD8eF0gH2iJ4kL';
    const body = '{"id":"x","event":"convoy.landed"}';
    const expected = createHmac('sha256', secret).update(`1767258000.${body}`).digest('hex');
    expect(webhookSignature(secret, 1767258000, body)).toBe(`sha256=${expected}`);
    expect(webhookSignature(secret, 1767258001, body)).not.toBe(`sha256=${expected}`);
  });
});
