import fc from 'fast-check';
import { Bisection } from './refinery.bisection';

/** Runs a bisection against a batch whose checks fail once the bead at `culprit` is in. */
function isolate(size: number, culprit: number): { culprit: number | undefined; passed: number; runs: number[] } {
  const bisection = new Bisection(size);
  const runs: number[] = [];
  for (let prefix = bisection.next(); prefix !== undefined; prefix = bisection.next()) {
    runs.push(prefix);
    bisection.record(prefix, prefix <= culprit);
  }
  return { culprit: bisection.culprit, passed: bisection.passed, runs };
}

describe('refinery bisection', () => {
  it('given a red batch of 8 whose 6th bead breaks the checks, when bisected, then 3 runs find it and the first 5 pass together', () => {
    expect(isolate(8, 5)).toEqual({ culprit: 5, passed: 5, runs: [4, 6, 5] });
  });

  it('given a red batch of one bead, when bisected, then no run is needed: that bead is the culprit', () => {
    expect(isolate(1, 0)).toEqual({ culprit: 0, passed: 0, runs: [] });
  });

  it('given a red batch of 8 whose last bead breaks it, when bisected, then the 7 before it were tested as exactly that tree', () => {
    const found = isolate(8, 7);
    expect(found.culprit).toBe(7);
    expect(found.runs[found.runs.length - 1]).toBe(7);
  });

  it('given any batch size and culprit, when bisected, then it isolates the culprit within ceil(log2 n) runs after the red one, and what passed was tested', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 32 }).chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 }))),
        ([size, culprit]) => {
          const found = isolate(size, culprit);
          expect(found.culprit).toBe(culprit);
          expect(found.passed).toBe(culprit);
          expect(found.runs.length).toBeLessThanOrEqual(Math.ceil(Math.log2(size)));
          // Nothing untested is pushed: the passing prefix is either no bead or a prefix that was checked.
          if (culprit > 0) expect(found.runs).toContain(culprit);
          expect(new Set(found.runs).size).toBe(found.runs.length);
        },
      ),
    );
  });

  it('given a prefix outside what is still open, when recorded, then it is refused', () => {
    const bisection = new Bisection(8);
    bisection.record(4, true);
    expect(() => bisection.record(2, false)).toThrow('prefix 2 lies outside the open range (4, 8)');
  });
});
