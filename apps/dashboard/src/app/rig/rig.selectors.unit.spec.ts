import fc from 'fast-check';
import type { BeadStatus, ConvoyStatus } from '../gateway/gateway.types';
import { rigBead, rigConvoy } from './rig.fixtures';
import type { RigBead, RigConvoy } from './rig.model';
import { progressOf, rigConvoys } from './rig.selectors';

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
