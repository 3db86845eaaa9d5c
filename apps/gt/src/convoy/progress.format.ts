import type { ConvoyChange, ConvoyProgress, ConvoySummary } from '@gastown/gateway-client';
import { time, truncate } from '../output/output.format';

export type SegmentName = 'closed' | 'review' | 'progress' | 'failed' | 'blocked' | 'open';

/** In bar order: done work first, then work under way, then what holds the convoy. */
const SEGMENTS: readonly { name: SegmentName; char: string; ansi: string; count(p: ConvoyProgress): number }[] = [
  { name: 'closed', char: '█', ansi: '32', count: (p) => p.closed },
  { name: 'review', char: '▓', ansi: '36', count: (p) => p.inReview },
  { name: 'progress', char: '▒', ansi: '33', count: (p) => p.inProgress },
  { name: 'failed', char: '✗', ansi: '31', count: (p) => p.failed + p.cancelled },
  { name: 'blocked', char: '░', ansi: '35', count: (p) => p.blocked },
  { name: 'open', char: '·', ansi: '2', count: (p) => p.open },
];

/**
 * How many of `width` cells each segment gets: proportional (largest remainder), every cell
 * used, and at least one cell for any segment with a bead in it so a single failure shows.
 */
export function barCells(progress: ConvoyProgress, width: number): Record<SegmentName, number> {
  const counts = SEGMENTS.map((s) => s.count(progress));
  const sum = counts.reduce((a, b) => a + b, 0);
  const cells = SEGMENTS.map(() => 0);
  if (sum > 0 && width > 0) {
    const exact = counts.map((c) => (c * width) / sum);
    exact.forEach((e, i) => (cells[i] = Math.floor(e)));
    let left = width - cells.reduce((a, b) => a + b, 0);
    const byRemainder = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.i - b.i);
    for (const { i } of byRemainder) {
      if (left === 0) break;
      cells[i]++;
      left--;
    }
    for (let i = 0; i < cells.length; i++) {
      if (counts[i] === 0 || cells[i] > 0) continue;
      const donor = cells.indexOf(Math.max(...cells));
      if (cells[donor] <= 1) break;
      cells[donor]--;
      cells[i]++;
    }
  } else if (width > 0) {
    cells[SEGMENTS.length - 1] = width;
  }
  return Object.fromEntries(SEGMENTS.map((s, i) => [s.name, cells[i]])) as Record<SegmentName, number>;
}

/** The bar itself, `width` characters between the brackets; coloured only for a terminal. */
export function renderBar(progress: ConvoyProgress, width: number, color: boolean): string {
  const cells = barCells(progress, width);
  const body = SEGMENTS.map((s) => {
    const run = s.char.repeat(cells[s.name]);
    return color && run ? `\x1b[${s.ansi}m${run}\x1b[0m` : run;
  }).join('');
  return `[${body}]`;
}

export function progressCounts(p: ConvoyProgress): string {
  const parts = [`${p.closed}/${p.total} closed`, `${p.inReview} in review`, `${p.inProgress} in progress`, `${p.failed} failed`];
  if (p.cancelled > 0) parts.push(`${p.cancelled} cancelled`);
  parts.push(`${p.blocked} blocked`, `${p.open} open`);
  return parts.join(' · ');
}

export interface WatchState {
  convoy: ConvoySummary;
  /** The newest event's summary, the answer to "what just happened?". */
  lastEvent?: string;
  reconnecting: boolean;
}

/** The live view on a terminal: every line fits `columns`, so redrawing in place never wraps. */
export function watchFrame(state: WatchState, options: { columns: number; color: boolean }): string[] {
  const fit = Math.max(options.columns - 1, 20);
  const { convoy } = state;
  const barWidth = Math.max(10, Math.min(50, fit - convoy.status.length - 3));
  const last = state.reconnecting ? 'reconnecting… (the gateway went away; resuming from the last change seen)' : state.lastEvent ? `last: ${state.lastEvent}` : 'waiting for changes…';
  return [`${renderBar(convoy.progress, barWidth, options.color)} ${convoy.status}`, truncate(progressCounts(convoy.progress), fit), truncate(last, fit)];
}

/** Moves back over the previous frame and overwrites it line by line. */
export function redraw(previousLines: number, lines: readonly string[]): string {
  const up = previousLines > 0 ? `\x1b[${previousLines}F` : '';
  return `${up}${lines.map((line) => `\x1b[2K${line}\n`).join('')}`;
}

/** One line per change when stdout is not a terminal (a log, a CI job, a pipe). */
export function watchLine(change: ConvoyChange): string {
  const { convoy, events } = change;
  const at = time(events.length > 0 ? events[events.length - 1].occurredAt : convoy.updatedAt);
  const what = events.map((e) => e.summary.replace(/\.$/, '')).join('; ');
  return `${at} ${convoy.status} ${progressCounts(convoy.progress)}${what ? ` — ${what}` : ''}`;
}

export function isFinished(status: ConvoySummary['status']): boolean {
  return status === 'LANDED' || status === 'FAILED' || status === 'CANCELLED';
}
