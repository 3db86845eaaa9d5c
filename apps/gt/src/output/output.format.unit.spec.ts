import fc from 'fast-check';
import { table, time, truncate } from './output.format';

describe('output shapes', () => {
  it('given rows of different widths, when tabulated, then columns line up and lines do not end in spaces', () => {
    expect(table(['A', 'BB'], [['xxx', 'y'], ['z', '']])).toEqual(['A    BB', 'xxx  y', 'z']);
  });

  it('given an ISO time, when shown, then it is UTC to the second; given none, then a dash', () => {
    expect(time('2026-11-23T12:00:07.250Z')).toBe('2026-11-23 12:00:07Z');
    expect(time(null)).toBe('-');
  });

  it('property: truncated text never exceeds the width and keeps short text whole', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), fc.integer({ min: 2, max: 60 }), (text, width) => {
        const cut = truncate(text, width);
        expect([...cut].length).toBeLessThanOrEqual(width);
        if ([...text].length <= width) expect(cut).toBe(text);
        else expect(cut.endsWith('…')).toBe(true);
      }),
    );
  });
});
