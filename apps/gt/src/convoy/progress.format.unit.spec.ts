import fc from 'fast-check';
import { aChange, aConvoy, progressOf } from '../gt.fixtures';
import { barCells, progressCounts, redraw, renderBar, watchFrame, watchLine } from './progress.format';

// eslint-disable-next-line no-control-regex -- terminal escape sequences start with ESC
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
const visible = (text: string) => [...text.replace(ANSI, '')].length;

describe('progress bar', () => {
  it('given a convoy half closed, when drawn 10 wide, then closed fills the first half', () => {
    expect(renderBar(progressOf({ closed: 2, open: 2 }), 10, false)).toBe('[█████·····]');
  });

  it('given one bead in each state, when drawn, then each segment shows in order: closed, review, progress, failed, blocked, open', () => {
    expect(renderBar(progressOf({ closed: 1, inReview: 1, inProgress: 1, failed: 1, blocked: 1, open: 1 }), 6, false)).toBe('[█▓▒✗░·]');
  });

  it('given one failure among many closed beads, when drawn, then the failure still gets a cell', () => {
    expect(barCells(progressOf({ closed: 999, failed: 1 }), 20)).toMatchObject({ closed: 19, failed: 1 });
  });

  it('given cancelled beads, when drawn, then they share the failed segment', () => {
    expect(barCells(progressOf({ cancelled: 1, closed: 1 }), 4)).toMatchObject({ failed: 2, closed: 2 });
  });

  it('given an empty convoy, when drawn, then the bar is all open', () => {
    expect(renderBar(progressOf({}), 4, false)).toBe('[····]');
  });

  it('given colour, when drawn, then segments are coloured and the visible width is unchanged', () => {
    const bar = renderBar(progressOf({ closed: 1, failed: 1 }), 10, true);
    expect(bar).toContain('\x1b[32m');
    expect(bar).toContain('\x1b[31m');
    expect(visible(bar)).toBe(12);
  });

  it('property: every cell is used, a segment without beads gets none, and a segment with beads gets one when there is room', () => {
    const counts = fc.record({
      open: fc.nat(50),
      inProgress: fc.nat(50),
      inReview: fc.nat(50),
      closed: fc.nat(500),
      failed: fc.nat(5),
      cancelled: fc.nat(5),
      blocked: fc.nat(50),
    });
    fc.assert(
      fc.property(counts, fc.integer({ min: 6, max: 120 }), (c, width) => {
        const progress = progressOf(c);
        const cells = barCells(progress, width);
        expect(Object.values(cells).reduce((a, b) => a + b, 0)).toBe(width);
        const segmentCounts = {
          closed: c.closed,
          review: c.inReview,
          progress: c.inProgress,
          failed: c.failed + c.cancelled,
          blocked: c.blocked,
          open: c.open,
        };
        for (const [name, count] of Object.entries(segmentCounts)) {
          if (count === 0 && progress.total > 0) expect(cells[name as keyof typeof cells]).toBe(0);
          if (count > 0) expect(cells[name as keyof typeof cells]).toBeGreaterThanOrEqual(1);
        }
        expect(visible(renderBar(progress, width, true))).toBe(width + 2);
      }),
    );
  });
});

describe('watch output', () => {
  it('given counts, when written, then every state is named', () => {
    expect(progressCounts(progressOf({ closed: 3, inReview: 1, inProgress: 2, failed: 1, blocked: 1, open: 0 }))).toBe(
      '3/8 closed · 1 in review · 2 in progress · 1 failed · 1 blocked · 0 open',
    );
  });

  it('given a narrow terminal, when a frame is drawn, then no line is wider than the terminal', () => {
    const frame = watchFrame(
      { convoy: aConvoy({ status: 'READY_TO_LAND' }), lastEvent: 'Nux took bead "A very long title that goes on and on" (attempt 2)', reconnecting: false },
      { columns: 40, color: true },
    );
    for (const line of frame) expect(visible(line)).toBeLessThanOrEqual(39);
    expect(frame[0]).toMatch(/READY_TO_LAND$/);
    expect(frame[2]).toMatch(/^last: Nux took bead .*…$/);
  });

  it('given a lost connection, when a frame is drawn, then it says reconnecting instead of the last event', () => {
    const frame = watchFrame({ convoy: aConvoy(), lastEvent: 'x', reconnecting: true }, { columns: 120, color: false });
    expect(frame[2]).toMatch(/^reconnecting…/);
  });

  it('given a frame already on screen, when redrawn, then the cursor goes back over it and each line is cleared', () => {
    expect(redraw(3, ['a', 'b'])).toBe('\x1b[3F\x1b[2Ka\n\x1b[2Kb\n');
    expect(redraw(0, ['a'])).toBe('\x1b[2Ka\n');
  });

  it('given the state the watch starts from (no events), when printed as a line, then it is stamped with the convoy\'s last update', () => {
    expect(watchLine(aChange([], { status: 'STAGED' }))).toMatch(/^2026-11-23 12:00:05Z STAGED 1\/4 closed/);
  });

  it('given a change with two events, when printed as a line, then it has the time, status, counts and both summaries', () => {
    expect(watchLine(aChange(['Nux took bead "A".', 'Ace took bead "B".'], { status: 'ACTIVE', progress: progressOf({ inProgress: 2 }) }))).toBe(
      '2026-11-23 12:00:07Z ACTIVE 0/2 closed · 0 in review · 2 in progress · 0 failed · 0 blocked · 0 open — Nux took bead "A"; Ace took bead "B"',
    );
  });
});
