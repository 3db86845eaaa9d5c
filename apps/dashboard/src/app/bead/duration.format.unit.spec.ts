import fc from 'fast-check';
import { durationBetween, formatDuration } from './duration.format';

/** Reads a formatted duration back into whole seconds, to the precision it shows. */
function parse(text: string): number {
  const units: Record<string, number> = { h: 3600, min: 60, s: 1 };
  return [...text.matchAll(/(\d+) (h|min|s)\b/g)].reduce((sum, [, n, unit]) => sum + Number(n) * units[unit], 0);
}

describe('formatDuration', () => {
  it('given durations at the unit boundaries, then it names them as a person would', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(59_999)).toBe('59 s');
    expect(formatDuration(60_000)).toBe('1 min');
    expect(formatDuration(185_000)).toBe('3 min 05 s');
    expect(formatDuration(3_600_000)).toBe('1 h');
    expect(formatDuration(1_800_000)).toBe('30 min');
    expect(formatDuration(7_620_000)).toBe('2 h 07 min');
  });

  it('given a negative duration (clocks apart), then it says 0 s rather than a negative time', () => {
    expect(formatDuration(-5_000)).toBe('0 s');
  });

  it('property: what it shows never overstates the duration and is off by less than its smallest unit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 24 * 3_600_000 }), (ms) => {
        const shown = parse(formatDuration(ms));
        const seconds = Math.floor(ms / 1000);
        const unit = seconds < 3600 ? 1 : 60;
        expect(shown).toBeLessThanOrEqual(seconds);
        expect(seconds - shown).toBeLessThan(unit);
      }),
    );
  });

  it('property: a longer duration never reads shorter', () => {
    fc.assert(
      fc.property(fc.nat(10 * 24 * 3_600_000), fc.nat(10 * 24 * 3_600_000), (a, b) => {
        const [short, long] = a <= b ? [a, b] : [b, a];
        expect(parse(formatDuration(short))).toBeLessThanOrEqual(parse(formatDuration(long)));
      }),
    );
  });
});

describe('durationBetween', () => {
  it('given both ends, then it is the time between them; given an open end, then there is no duration yet', () => {
    expect(durationBetween('2026-11-25T10:00:00Z', '2026-11-25T10:03:05Z')).toBe('3 min 05 s');
    expect(durationBetween('2026-11-25T10:00:00Z', null)).toBeNull();
    expect(durationBetween(null, '2026-11-25T10:00:00Z')).toBeNull();
  });
});
