import type { HistoryEventView } from '../history/history.event';
import { dispatcherHoldRecords, holdRecords, withHoldRecords } from './holds.history';

const convoyId = '8c0f3b1e-5a6d-5e7f-8a9b-0c1d2e3f4a5b';
const at = new Date('2026-12-01T10:00:00.000Z');
const event = (sequence: number, index = 0): HistoryEventView => ({
  sequence,
  index,
  type: 'BeadDispatched',
  occurredAt: at,
  actor: { kind: 'service', id: 'dispatcher' },
  convoyId,
  beadIds: [],
  summary: '',
  data: {},
});

describe("the operator's records in a convoy's history", () => {
  const records = holdRecords(
    convoyId,
    { subject: 's', seq: 9, reason: 'SQLSTATE 23505', heldAt: at },
    [{ subject: 's', seq: 4, reason: 'broken build', heldReason: 'SQLSTATE 22003', skippedAt: at }],
  );

  it('given a skip and a hold, then each is a record at its message with who, what and why', () => {
    expect(records.map((r) => [r.sequence, r.type, r.actor, r.summary])).toEqual([
      [4, 'MessageSkipped', { kind: 'system', id: 'operator' }, 'Message seq 4 skipped by operator: broken build (it could not be applied: SQLSTATE 22003).'],
      [9, 'ProjectionHeld', { kind: 'system', id: 'projector' }, 'Held at message seq 9: SQLSTATE 23505. Nothing after it shows until the operator retries or skips it.'],
    ]);
  });

  it('given the last page, then every record after the cursor is merged in sequence order', () => {
    const page = withHoldRecords([event(3), event(5, 0), event(5, 1)], false, 0, records);

    expect(page.map((e) => [e.sequence, e.index, e.type])).toEqual([
      [3, 0, 'BeadDispatched'],
      [4, 0, 'MessageSkipped'],
      [5, 0, 'BeadDispatched'],
      [5, 1, 'BeadDispatched'],
      [9, 0, 'ProjectionHeld'],
    ]);
  });

  it('given a full page, then records past its last decision wait for the next page, and records before the cursor are not repeated', () => {
    expect(withHoldRecords([event(3)], true, 0, records).map((e) => e.sequence)).toEqual([3]);
    expect(withHoldRecords([event(6)], true, 4, records).map((e) => e.sequence)).toEqual([6]);
    expect(withHoldRecords([], false, 8, records).map((e) => e.type)).toEqual(['ProjectionHeld']);
  });
});

describe("the dispatcher's records in a convoy's history", () => {
  const subject = `gt.evt.t.convoy.${convoyId}`;
  const records = dispatcherHoldRecords(
    convoyId,
    { service: 'dispatcher', subject, seq: 9, townId: 't', convoyId, reason: 'payload missing', since: at.toISOString() },
    [{ service: 'dispatcher', subject, seq: 4, townId: 't', convoyId, reason: 'plan lost for good', heldReason: 'timed out', skippedAt: at.toISOString() }],
  );

  it('given a dispatcher hold and a skip, then each is a record at its message with the service, reason and what could not be read', () => {
    expect(records.map((r) => [r.sequence, r.type, r.data])).toEqual([
      [4, 'MessageSkipped', { service: 'dispatcher', seq: 4, reason: 'plan lost for good', heldReason: 'timed out' }],
      [9, 'DispatchHeld', { service: 'dispatcher', seq: 9, reason: 'payload missing' }],
    ]);
  });

  it('given the held message applied in the read model (only the dispatcher could not read it), then the record follows its events', () => {
    expect(withHoldRecords([event(9, 0), event(9, 1)], false, 0, records).map((r) => [r.sequence, r.type])).toEqual([
      [4, 'MessageSkipped'],
      [9, 'BeadDispatched'],
      [9, 'BeadDispatched'],
      [9, 'DispatchHeld'],
    ]);
  });
});
