import type { HoldRecord, ReleaseOutcome } from '@gastown/bus';
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

/** A hold as listed: the projector's (no service named) or another service's from the holds registry. */
export type ListedHold = ProjectionHold & { readonly service?: string };

export function listedHold(record: HoldRecord): ListedHold {
  return { service: record.service, subject: record.subject, seq: record.seq, reason: record.reason, heldAt: new Date(record.since) };
}

/** One line per hold: service, subject, seq, since, reason. */
export function formatHolds(holds: readonly ListedHold[]): string {
  if (holds.length === 0) return 'no holds';
  const header = ['SERVICE', 'SUBJECT', 'SEQ', 'SINCE', 'REASON'];
  const rows = holds.map((h) => [h.service ?? 'projector', h.subject, String(h.seq), h.heldAt.toISOString(), h.reason.replace(/\s+/g, ' ')]);
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

/** What the dispatcher did with a retry or skip request, in one line; `held` says whether it still holds the subject. */
export function formatDispatcherRelease(subject: string, outcome: ReleaseOutcome, skippedSeq?: number): { line: string; held: boolean } {
  if (!outcome.answered) {
    return { line: `${subject}: no dispatcher answered in time; the request stands and the dispatcher holding it acts on it when it runs`, held: true };
  }
  const skipped = skippedSeq === undefined ? '' : `skipped seq ${skippedSeq}, `;
  if (outcome.hold) return { line: `${subject}: dispatcher ${skipped}still held at seq ${outcome.hold.seq}: ${outcome.hold.reason}`, held: true };
  return { line: `${subject}: dispatcher ${skipped}flowing again`, held: false };
}
