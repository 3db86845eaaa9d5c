import fc from 'fast-check';
import type { BeadStatus, ConvoyStatus } from '../gateway/gateway.types';
import { inReview, rigBead, rigConvoy } from './rig.fixtures';
import type { RigBead, RigConvoy } from './rig.model';
import { mergeQueue, progressOf, rigConvoys } from './rig.selectors';

const STATUSES: BeadStatus[] = ['OPEN', 'IN_PROGRESS', 'IN_REVIEW', 'CLOSED', 'FAILED', 'CANCELLED'];
const CONVOY_STATUSES: ConvoyStatus[] = ['STAGED', 'ACTIVE', 'READY_TO_LAND', 'LANDING', 'LANDED', 'FAILED', 'CANCELLED'];

const anyBead = fc.record({
  status: fc.constantFrom(...STATUSES),
  blocked: fc.boolean(),
  rigId: fc.constantFrom('r-1', 'r-2'),
  submitted: fc.option(fc.integer({ min: 0, max: 1_000_000 }), { nil: null }),
});

const anyConvoys = fc
  .array(
    fc.record({
      status: fc.constantFrom(...CONVOY_STATUSES),
      created: fc.integer({ min: 0, max: 1_000_000 }),
      beads: fc.array(anyBead, { maxLength: 8 }),
    }),
    { maxLength: 6 },
  )
  .map((convoys) =>
    convoys.map((c, ci): RigConvoy =>
      rigConvoy(
        `c-${ci}`,
        c.beads.map(
          (b, bi): RigBead =>
            rigBead(`c-${ci}-b-${bi}`, {
              status: b.status,
              blocked: b.status === 'OPEN' && b.blocked,
              rigId: b.rigId,
              attempts: b.submitted === null ? [] : [{ number: 1, outcome: 'SUBMITTED', endedAt: new Date(b.submitted).toISOString() }],
            }),
        ),
        { status: c.status, createdAt: new Date(c.created).toISOString() },
      ),
    ),
  );

describe('rigConvoys', () => {
  it('given convoys across rigs, then only those holding a bead on the rig are shown, each with only that rig\'s beads', () => {
    const shared = rigConvoy('shared', [rigBead('mine'), rigBead('theirs', { rigId: 'r-2' })]);
    const elsewhere = rigConvoy('elsewhere', [rigBead('far', { rigId: 'r-2' })]);

    const [view, ...rest] = rigConvoys([shared, elsewhere], 'r-1');

    expect(rest).toEqual([]);
    expect(view.id).toBe('shared');
    expect(view.beads.map((b) => b.id)).toEqual(['mine']);
    expect(view.convoyTotal).toBe(2);
    expect(view.rigProgress.total).toBe(1);
  });

  it('given finished and in-flight convoys, then in-flight ones come first, newest first in each group', () => {
    const views = rigConvoys(
      [
        rigConvoy('landed-new', [rigBead('a')], { status: 'LANDED', createdAt: '2026-11-25T12:00:00Z' }),
        rigConvoy('active-old', [rigBead('b')], { status: 'ACTIVE', createdAt: '2026-11-25T08:00:00Z' }),
        rigConvoy('staged-new', [rigBead('c')], { status: 'STAGED', createdAt: '2026-11-25T11:00:00Z' }),
        rigConvoy('failed-old', [rigBead('d')], { status: 'FAILED', createdAt: '2026-11-25T07:00:00Z' }),
      ],
      'r-1',
    );
    expect(views.map((v) => v.id)).toEqual(['staged-new', 'active-old', 'landed-new', 'failed-old']);
  });

  it('given beads in every state, then failed and blocked ones come first and plan order holds among equals', () => {
    const [view] = rigConvoys(
      [
        rigConvoy('c', [
          rigBead('closed', { status: 'CLOSED' }),
          rigBead('open-1'),
          rigBead('failed', { status: 'FAILED' }),
          rigBead('blocked', { blocked: true }),
          rigBead('open-2'),
        ]),
      ],
      'r-1',
    );
    expect(view.beads.map((b) => `${b.id}:${b.state}`)).toEqual(['failed:FAILED', 'blocked:BLOCKED', 'open-1:OPEN', 'open-2:OPEN', 'closed:CLOSED']);
  });

  it('property: every bead of the rig appears exactly once, under its own convoy, and nothing of other rigs appears', () => {
    fc.assert(
      fc.property(anyConvoys, (convoys) => {
        const shown = rigConvoys(convoys, 'r-1').flatMap((v) => v.beads.map((b) => `${v.id}/${b.id}`));
        const expected = convoys.flatMap((c) => c.beads.filter((b) => b.rigId === 'r-1').map((b) => `${c.id}/${b.id}`));
        expect([...shown].sort()).toEqual([...expected].sort());
      }),
    );
  });
});

describe('progressOf', () => {
  it('property: the counts add up to the total, and open plus blocked are the OPEN beads', () => {
    fc.assert(
      fc.property(fc.array(anyBead), (beads) => {
        const list = beads.map((b, i) => rigBead(`b-${i}`, { status: b.status, blocked: b.blocked }));
        const p = progressOf(list);
        expect(p.open + p.blocked + p.inProgress + p.inReview + p.closed + p.failed + p.cancelled).toBe(p.total);
        expect(p.total).toBe(list.length);
        expect(p.open + p.blocked).toBe(list.filter((b) => b.status === 'OPEN').length);
      }),
    );
  });
});

describe('mergeQueue', () => {
  it('given beads in review on several convoys, then the one handed in first is next, and beads of other rigs or states are not queued', () => {
    const queue = mergeQueue(
      [
        rigConvoy('c-1', [inReview('late', '2026-11-25T10:05:00Z'), rigBead('working', { status: 'IN_PROGRESS' })]),
        rigConvoy('c-2', [inReview('early', '2026-11-25T10:01:00Z'), inReview('other-rig', '2026-11-25T09:00:00Z', { rigId: 'r-2' })]),
      ],
      'r-1',
    );
    expect(queue.map((e) => [e.position, e.bead.id, e.convoyTitle, e.submittedAt])).toEqual([
      [1, 'early', 'convoy c-2', '2026-11-25T10:01:00Z'],
      [2, 'late', 'convoy c-1', '2026-11-25T10:05:00Z'],
    ]);
  });

  it('given a reworked bead handed in again, then its place is set by the newest hand-in, not the first one', () => {
    const reworked = rigBead('reworked', {
      status: 'IN_REVIEW',
      attempts: [
        { number: 1, outcome: 'REWORK', endedAt: '2026-11-25T09:00:00Z' },
        { number: 2, outcome: 'SUBMITTED', endedAt: '2026-11-25T10:10:00Z' },
      ],
    });
    const queue = mergeQueue([rigConvoy('c', [reworked, inReview('steady', '2026-11-25T10:00:00Z')])], 'r-1');
    expect(queue.map((e) => e.bead.id)).toEqual(['steady', 'reworked']);
  });

  it('given a bead whose hand-in time is unknown, then it queues last', () => {
    const queue = mergeQueue([rigConvoy('c', [inReview('unknown', null), inReview('known', '2026-11-25T10:00:00Z')])], 'r-1');
    expect(queue.map((e) => e.bead.id)).toEqual(['known', 'unknown']);
  });

  it('property: the queue holds exactly the rig\'s beads in review, numbered 1..n, by hand-in time', () => {
    fc.assert(
      fc.property(anyConvoys, (convoys) => {
        const queue = mergeQueue(convoys, 'r-1');
        const expected = convoys.flatMap((c) => c.beads).filter((b) => b.rigId === 'r-1' && b.status === 'IN_REVIEW');
        expect(queue.map((e) => e.bead.id).sort()).toEqual(expected.map((b) => b.id).sort());
        expect(queue.map((e) => e.position)).toEqual(queue.map((_, i) => i + 1));
        const times = queue.map((e) => (e.submittedAt === null ? Infinity : Date.parse(e.submittedAt)));
        expect(times).toEqual([...times].sort((a, b) => a - b));
      }),
    );
  });
});
