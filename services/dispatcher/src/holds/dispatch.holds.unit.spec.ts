import type { HoldRecord } from '@gastown/bus';
import { holdRecord, judgeRelease, resolvedHolds } from './dispatch.holds';

const held = { subject: 'gt.evt.t1.convoy.c1', seq: 7, townId: 't1', convoyId: 'c1', reason: 'payload missing' };
const record = (over: Partial<HoldRecord> = {}): HoldRecord => ({ service: 'dispatcher', ...held, since: '2026-01-01T00:00:00.000Z', ...over });
const now = new Date('2026-02-02T00:00:00.000Z');

describe('the dispatcher’s holds', () => {
  it('given the same message held again (a restart, a failed retry), when recorded, then it keeps when the hold began and takes the new reason', () => {
    expect(holdRecord(record(), { ...held, reason: 'timed out' }, now)).toEqual(record({ reason: 'timed out' }));
  });

  it('given no hold or one on an earlier message, when recorded, then the hold begins now', () => {
    expect(holdRecord(undefined, held, now).since).toBe(now.toISOString());
    expect(holdRecord(record({ seq: 3 }), held, now).since).toBe(now.toISOString());
  });

  it('given a release request, when judged, then the held message is acted on, another message’s request is stale and a subject held elsewhere is left alone', () => {
    const retry = { action: 'retry', seq: 7, requestedAt: now.toISOString() } as const;
    expect(judgeRelease(record(), retry)).toBe('act');
    expect(judgeRelease(record({ seq: 9 }), retry)).toBe('stale');
    expect(judgeRelease(undefined, { action: 'skip', seq: 7, reason: 'corrupt', requestedAt: now.toISOString() })).toBe('not-mine');
  });

  it('given the registry’s holds after a full read of the stream, when settled, then only subjects no longer held are resolved', () => {
    const other = record({ subject: 'gt.evt.t1.convoy.c2', convoyId: 'c2' });
    const current = new Map([[held.subject, record({ seq: 9 })]]);
    expect(resolvedHolds([record(), other], current)).toEqual([other]);
  });
});
