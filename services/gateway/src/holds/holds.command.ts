import type { ProjectionHold } from '../projection/projection.applier';
import type { RetryResult } from '../projection/projection.runner';

export type HoldsCommand =
  | { readonly kind: 'list'; readonly json: boolean }
  | { readonly kind: 'retry'; readonly subject: string }
  | { readonly kind: 'retry-all' }
  | { readonly kind: 'skip'; readonly subject: string; readonly reason: string };

export const HOLDS_USAGE = `usage: npm run holds -- list [--json]
       npm run holds -- retry <subject>     apply the held message again (after a fix), then what follows it
       npm run holds -- retry --all
       npm run holds -- skip <subject> --reason "why"   never apply the held message; the reason goes into the convoy's history`;

/** The operator's command line, or what is wrong with it. */
export function parseHoldsArgs(argv: readonly string[]): HoldsCommand | { readonly error: string } {
  const [verb, ...rest] = argv;
  switch (verb) {
    case 'list':
      if (rest.some((a) => a !== '--json')) return { error: `list takes only --json (got ${rest.join(' ')})` };
      return { kind: 'list', json: rest.includes('--json') };
    case 'retry':
      if (rest.length === 1 && rest[0] === '--all') return { kind: 'retry-all' };
      if (rest.length === 1 && !rest[0].startsWith('-')) return { kind: 'retry', subject: rest[0] };
      return { error: 'retry takes one subject, or --all' };
    case 'skip': {
      const at = rest.indexOf('--reason');
      const reason = at >= 0 ? (rest[at + 1] ?? '').trim() : '';
      const subjects = rest.filter((_, i) => at < 0 || (i !== at && i !== at + 1));
      if (subjects.length !== 1 || subjects[0].startsWith('-')) return { error: 'skip takes one subject' };
      // The reason is the only account of why a decision was never applied: it is required.
      if (!reason) return { error: 'skip needs --reason "why", recorded in the history' };
      return { kind: 'skip', subject: subjects[0], reason };
    }
    default:
      return { error: verb ? `unknown command "${verb}"` : 'a command is needed' };
  }
}

/** One line per hold: service, subject, seq, since, reason. */
export function formatHolds(holds: readonly ProjectionHold[]): string {
  if (holds.length === 0) return 'no holds';
  const header = ['SERVICE', 'SUBJECT', 'SEQ', 'SINCE', 'REASON'];
  const rows = holds.map((h) => ['projector', h.subject, String(h.seq), h.heldAt.toISOString(), h.reason.replace(/\s+/g, ' ')]);
  const widths = header.slice(0, 4).map((title, i) => Math.max(title.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => [...cells.slice(0, 4).map((c, i) => c.padEnd(widths[i])), cells[4]].join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/** What a retry or skip did, in one line; `held` says whether the subject is still held. */
export function formatRetry(result: RetryResult, skippedSeq?: number): { line: string; held: boolean } {
  const skipped = skippedSeq === undefined ? '' : `skipped seq ${skippedSeq}, `;
  if (result.hold) {
    return { line: `${result.subject}: ${skipped}applied ${result.applied}, still held at seq ${result.hold.seq}: ${result.hold.reason}`, held: true };
  }
  return { line: `${result.subject}: ${skipped}applied ${result.applied}, flowing again`, held: false };
}
