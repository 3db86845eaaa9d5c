import type { HoldRecord, SkipRecord } from '@gastown/bus';
import type { HistoryEventView } from '../history/history.event';
import type { ProjectionHold, ProjectionSkip } from '../projection/projection.applier';

/**
 * The operator's side of a convoy's history: where the projector holds it, and each message the
 * operator skipped with the reason given. They sit at the sequence of the message concerned,
 * which no applied event of the convoy shares (a held or skipped message is never applied).
 */
export function holdRecords(convoyId: string, hold: ProjectionHold | null, skips: readonly ProjectionSkip[]): HistoryEventView[] {
  const records: HistoryEventView[] = skips.map((skip) => ({
    sequence: skip.seq,
    index: 0,
    type: 'MessageSkipped',
    occurredAt: skip.skippedAt,
    actor: { kind: 'system', id: 'operator' },
    convoyId,
    beadIds: [],
    summary: `Message seq ${skip.seq} skipped by operator: ${skip.reason} (it could not be applied: ${skip.heldReason}).`,
    data: { service: 'projector', seq: skip.seq, reason: skip.reason, heldReason: skip.heldReason },
  }));
  if (hold) {
    records.push({
      sequence: hold.seq,
      index: 0,
      type: 'ProjectionHeld',
      occurredAt: hold.heldAt,
      actor: { kind: 'system', id: 'projector' },
      convoyId,
      beadIds: [],
      summary: `Held at message seq ${hold.seq}: ${hold.reason}. Nothing after it shows until the operator retries or skips it.`,
      data: { service: 'projector', seq: hold.seq, reason: hold.reason },
    });
  }
  return records.sort((a, b) => a.sequence - b.sequence);
}

/**
 * The dispatcher's side, from the holds registry: where it stopped dispatching the convoy and each
 * message the operator had it skip. The message concerned may well be applied in the read model
 * (the dispatcher could not read it, the projector could), so these sort after its events.
 */
export function dispatcherHoldRecords(convoyId: string, hold: HoldRecord | null, skips: readonly SkipRecord[]): HistoryEventView[] {
  const records: HistoryEventView[] = skips.map((skip) => ({
    sequence: skip.seq,
    index: DISPATCHER_RECORD_INDEX,
    type: 'MessageSkipped',
    occurredAt: new Date(skip.skippedAt),
    actor: { kind: 'system', id: 'operator' },
    convoyId,
    beadIds: [],
    summary: `Message seq ${skip.seq} skipped by the dispatcher on the operator's word: ${skip.reason} (it could not be read: ${skip.heldReason}).`,
    data: { service: 'dispatcher', seq: skip.seq, reason: skip.reason, heldReason: skip.heldReason },
  }));
  if (hold) {
    records.push({
      sequence: hold.seq,
      index: DISPATCHER_RECORD_INDEX,
      type: 'DispatchHeld',
      occurredAt: new Date(hold.since),
      actor: { kind: 'system', id: 'dispatcher' },
      convoyId,
      beadIds: [],
      summary: `Dispatch held at message seq ${hold.seq}: ${hold.reason}. No bead of the convoy is dispatched until the operator retries or skips it.`,
      data: { service: 'dispatcher', seq: hold.seq, reason: hold.reason },
    });
  }
  return records.sort((a, b) => a.sequence - b.sequence);
}

/** After any event of the same commit (a commit holds far fewer events). */
const DISPATCHER_RECORD_INDEX = 1_000_000;

/**
 * Merges the records into a page of events. A full page shows the records up to its last
 * decision (the next page has the rest); a last page shows every record after the cursor.
 */
export function withHoldRecords(page: readonly HistoryEventView[], pageFull: boolean, after: number, records: readonly HistoryEventView[]): HistoryEventView[] {
  const last = page.at(-1)?.sequence ?? Number.POSITIVE_INFINITY;
  const shown = records.filter((r) => r.sequence > after && (!pageFull || r.sequence <= last));
  if (shown.length === 0) return [...page];
  return [...page, ...shown].sort((a, b) => a.sequence - b.sequence || a.index - b.index);
}
