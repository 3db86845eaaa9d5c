import { aBead, aConvoy, aConvoyDetail, progressOf } from '../gt.fixtures';
import { formatConvoyChanged, formatConvoyClosed, formatConvoyList, formatConvoyStatus, formatLandingRetried } from './convoy.format';

describe('convoy output', () => {
  it('given a page of convoys, when listed, then each row has the full id to copy, status, done count and title', () => {
    const lines = formatConvoyList({ convoys: [aConvoy()], totalCount: 1, hasNextPage: false });
    expect(lines[0]).toMatch(/^ID\s+STATUS\s+DONE\s+UPDATED\s+TITLE$/);
    expect(lines[1]).toMatch(/^c0000000-0000-4000-8000-000000000001\s+ACTIVE\s+1\/4\s+2026-11-23 12:00:05Z\s+Login page$/);
  });

  it('given more convoys than the limit, when listed, then it says how many there are', () => {
    expect(formatConvoyList({ convoys: [aConvoy()], totalCount: 30, hasNextPage: true }).at(-1)).toBe('showing 1 of 30; raise --limit to see more');
  });

  it('given no convoys, when listed, then it says so', () => {
    expect(formatConvoyList({ convoys: [], totalCount: 0, hasNextPage: false })).toEqual(['no convoys match']);
  });

  it('given a convoy with a held and a reworked bead, when shown, then beads are in plan order with the reason', () => {
    const lines = formatConvoyStatus(
      aConvoyDetail([
        aBead({ index: 1, title: 'API', blocked: true, blockedReason: 'upstream bead "Schema" failed' }),
        aBead({ index: 0, title: 'Schema', status: 'FAILED', attemptCount: 3, lastReason: 'tests fail\nmore detail' }),
      ]),
      { color: false },
    );
    expect(lines[0]).toBe('convoy "Login page" c0000000-0000-4000-8000-000000000001');
    const rows = lines.slice(lines.indexOf('') + 2);
    expect(rows[0]).toMatch(/^0\s+FAILED\s+-\s+3\s+\S+\s+Schema\s+tests fail$/);
    expect(rows[1]).toMatch(/^1\s+OPEN \(blocked\)\s+-\s+0\s+\S+\s+API\s+upstream bead "Schema" failed$/);
  });

  it.each([
    [{ status: 'LANDED' as const, landedAt: '2026-11-23T12:01:00Z', landedCommit: 'abc123' }, '  landed 2026-11-23 12:01:00Z at abc123'],
    [{ status: 'FAILED' as const, failureReason: 'bead "API" failed 3 times' }, '  failed: bead "API" failed 3 times'],
    [{ status: 'CANCELLED' as const, cancelReason: 'wrong plan' }, '  cancelled: wrong plan'],
  ])('given a finished convoy, when shown, then the outcome is on its own line', (overrides, line) => {
    expect(formatConvoyStatus(aConvoyDetail([], { ...overrides, progress: progressOf({}) }), { color: false })).toContain(line);
  });

  it('given a held convoy, when shown, listed or closed, then HELD and its reason come first, since its status is where the projector stopped', () => {
    const heldConvoy = { held: true, heldReason: 'rejected by the read-model schema (SQLSTATE 23505)', heldSince: '2026-11-23T12:02:00.000Z' };

    expect(formatConvoyStatus(aConvoyDetail([], heldConvoy), { color: false }).slice(3, 5)).toEqual([
      '  HELD since 2026-11-23 12:02:00Z: rejected by the read-model schema (SQLSTATE 23505)',
      '  what this shows stops there until the operator releases it (npm run holds); commands are still recorded',
    ]);
    expect(formatConvoyList({ convoys: [aConvoy(heldConvoy)], totalCount: 1, hasNextPage: false })[1]).toMatch(/ACTIVE \(HELD\)/);
    expect(formatConvoyChanged('closed', aConvoy(heldConvoy))[1]).toBe('  HELD since 2026-11-23 12:02:00Z: rejected by the read-model schema (SQLSTATE 23505)');
  });

  it('given a half-landed FAILED convoy, when shown, then each rig says LANDED with its commit, PENDING or FAILED with the reason, and gt convoy land is named', () => {
    const convoy = aConvoyDetail([], {
      status: 'FAILED',
      failureReason: 'landing failed on attempt 1 of 1: merge conflict in shared.txt',
      landings: [
        { rigId: 'rig-api', status: 'LANDED', commit: 'ab'.repeat(20), reason: null },
        { rigId: 'rig-web', status: 'FAILED', commit: null, reason: 'merge conflict in shared.txt\nCONFLICT (add/add)' },
        { rigId: 'rig-docs', status: 'PENDING', commit: null, reason: null },
      ],
    });

    const lines = formatConvoyStatus(convoy, { color: false });

    expect(lines).toContain('  once the cause is fixed, gt convoy land c0000000-0000-4000-8000-000000000001 lands the rigs not landed yet');
    const rows = lines.slice(lines.findIndex((l) => /^ {2}RIG\s+LANDING\s+COMMIT\s+NOTE$/.test(l)) + 1);
    expect(rows[0]).toMatch(new RegExp(`^  rig-api\\s+LANDED\\s+${'ab'.repeat(20)}$`));
    expect(rows[1]).toMatch(/^ {2}rig-web\s+FAILED\s+-\s+merge conflict in shared\.txt$/);
    expect(rows[2]).toMatch(/^ {2}rig-docs\s+PENDING\s+-$/);
  });

  it('given a convoy without landings (review-and-merge), when shown, then no landing table and no hint', () => {
    const lines = formatConvoyStatus(aConvoyDetail([], { status: 'FAILED', mergeMode: 'REVIEW_AND_MERGE', landings: [] }), { color: false });
    expect(lines.some((l) => /RIG\s+LANDING/.test(l) || l.includes('gt convoy land'))).toBe(false);
  });

  it('given a landing retried, when reported, then the new status comes with every rig’s landing', () => {
    const convoy = aConvoyDetail([], {
      status: 'READY_TO_LAND',
      landings: [{ rigId: 'rig-web', status: 'FAILED', commit: null, reason: 'merge conflict in shared.txt' }],
    });
    expect(formatLandingRetried(convoy)).toEqual([
      'convoy "Login page" lands again: READY_TO_LAND',
      '  RIG      LANDING  COMMIT  NOTE',
      '  rig-web  FAILED   -       merge conflict in shared.txt',
    ]);
  });

  it('given a close that found a merge and a landing already being pushed, when reported, then each is named as still landing', () => {
    const closed = aConvoyDetail([], {
      status: 'CANCELLED',
      cancelReason: 'plan changed',
      mergesUnderWay: [{ id: 'b0000000-0000-4000-8000-000000000002', index: 2, title: 'API', status: 'IN_REVIEW' }],
      landingsUnderWay: [{ rigId: 'rig-web', status: 'PUSHING', commit: null, reason: null }],
    });

    expect(formatConvoyClosed(closed)).toEqual([
      'convoy "Login page" closed: CANCELLED',
      '  cancelled: plan changed',
      '  already being pushed when it was closed, so not called back (the history shows how each ends):',
      '    merge of #2 "API" b0000000-0000-4000-8000-000000000002: still lands',
      '    landing on rig rig-web: still lands',
    ]);
  });

  it('given a close whose pushes under way ended before it answered, when reported, then each says how it ended', () => {
    const closed = aConvoyDetail([], {
      status: 'CANCELLED',
      cancelReason: 'plan changed',
      mergesUnderWay: [
        { id: 'b-merged', index: 0, title: 'Schema', status: 'CLOSED' },
        { id: 'b-aborted', index: 1, title: 'Seed', status: 'CANCELLED' },
      ],
      landingsUnderWay: [{ rigId: 'rig-api', status: 'LANDED', commit: 'ab'.repeat(20), reason: null }],
    });

    expect(formatConvoyClosed(closed).slice(3)).toEqual([
      '    merge of #0 "Schema" b-merged: merged',
      '    merge of #1 "Seed" b-aborted: not merged: its push failed',
      `    landing on rig rig-api: landed at ${'ab'.repeat(20)}`,
    ]);
  });

  it('given a close with nothing under way, when reported, then it says only the new status and why', () => {
    expect(formatConvoyClosed(aConvoyDetail([], { status: 'CANCELLED', cancelReason: 'plan changed' }))).toEqual([
      'convoy "Login page" closed: CANCELLED',
      '  cancelled: plan changed',
    ]);
  });

  it('given a closed convoy whose merge is still being pushed, when shown, then the merge is named under the outcome and its bead says so', () => {
    const api = aBead({ index: 0, title: 'API', status: 'IN_REVIEW', mergeUnderWay: true });
    const lines = formatConvoyStatus(
      aConvoyDetail([api], { status: 'CANCELLED', cancelReason: 'plan changed', mergesUnderWay: [{ id: api.id, index: 0, title: 'API', status: 'IN_REVIEW' }] }),
      { color: false },
    );

    expect(lines.slice(3, 6)).toEqual([
      '  cancelled: plan changed',
      '  already being pushed when it was closed, so not called back (the history shows how each ends):',
      `    merge of #0 "API" ${api.id}: still lands`,
    ]);
    expect(lines.at(-1)).toMatch(/^0\s+IN_REVIEW\s+-\s+0\s+\S+\s+API\s+merge being pushed$/);
  });

  it('given a staged convoy that was started, when reported, then the new status is shown', () => {
    expect(formatConvoyChanged('started', aConvoy())).toEqual(['convoy "Login page" started: ACTIVE']);
  });
});
