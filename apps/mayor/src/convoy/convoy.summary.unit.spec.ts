import fc from 'fast-check';
import type { BeadStatus } from '@gastown/gateway-client';
import { bead, convoy, id } from '../mayor.fixtures';
import { blockingBeads, summarizeBeads, summarizeConvoy, summarizeConvoyList, summarizeLandingRetried, SUMMARY_LINES } from './convoy.summary';

const sha = 'abcdef0123456789abcdef0123456789abcdef01';

/** Login: Schema FAILED holds Seed directly and UI through Seed; API is working, Docs merged. */
function loginConvoy() {
  const schema = bead(0, 'Schema', { status: 'FAILED', attemptCount: 3, lastReason: 'tests fail: users table missing' });
  const seed = bead(1, 'Seed', { blocked: true, blockedReason: 'waits on "Schema" which FAILED', blockedBy: [{ id: schema.id }] });
  const ui = bead(2, 'UI', { blocked: true, blockedBy: [{ id: seed.id }] });
  const api = bead(3, 'API', { status: 'IN_PROGRESS', assignee: 'nux', attemptCount: 2 });
  const docs = bead(4, 'Docs', { status: 'CLOSED', mergeCommit: sha });
  return convoy('Login', [schema, seed, ui, api, docs]);
}

describe('convoy summaries', () => {
  it('given an active convoy held by a failed bead, when summarised, then one sentence gives progress, the blocked beads and the failed one to retry', () => {
    const text = summarizeConvoy(loginConvoy());

    expect(text).toContain(
      `Convoy "Login" (id ${id(50)}) is ACTIVE: 1 of 5 beads closed, 1 in progress, 2 blocked (waiting on "Schema" which FAILED), 1 failed.`,
    );
    expect(text).toContain('Failed: #0 "Schema" (tests fail: users table missing)');
    expect(text).toContain('gt_bead_retry');
  });

  it('given a convoy FAILED on its landing with one rig landed, when summarised, then every rig’s landing is named and gt_retry_landing, not gt_bead_retry, is the way on', () => {
    const landed = convoy('Multi', [bead(0, 'API', { status: 'CLOSED', mergeCommit: sha }), bead(1, 'Web', { status: 'CLOSED', mergeCommit: sha })], {
      status: 'FAILED',
      failureReason: 'landing failed on attempt 3 of 3: merge conflict in shared.txt',
      landings: [
        { rigId: id(1), status: 'LANDED', commit: sha, reason: null },
        { rigId: id(2), status: 'FAILED', commit: null, reason: 'merge conflict in shared.txt' },
      ],
    });

    const text = summarizeConvoy(landed);

    expect(text).toContain(`Landings: rig ${id(1)} LANDED as abcdef012345, rig ${id(2)} FAILED (merge conflict in shared.txt).`);
    expect(text).toContain('gt_retry_landing lands the rigs not landed yet');
    expect(text).not.toContain('gt_bead_retry');
  });

  it('given a close that found a merge and a landing already being pushed, when summarised, then the model is told they still land and nothing else does', () => {
    const api = bead(0, 'API', { status: 'IN_REVIEW', assignee: 'nux', mergeUnderWay: true });
    const docs = bead(1, 'Docs', { status: 'CANCELLED' });
    const closed = convoy('Login', [api, docs], {
      status: 'CANCELLED',
      cancelReason: 'plan changed',
      mergesUnderWay: [{ id: api.id, index: 0, title: 'API', status: 'IN_REVIEW' }],
      landingsUnderWay: [{ rigId: id(2), status: 'PUSHING', commit: null, reason: null }],
    });

    expect(summarizeConvoy(closed)).toContain(
      `It was closed: plan changed. Already being pushed when it was closed, so not called back: the merge of #0 "API" (still lands) and the landing on rig ${id(2)} (still lands). ` +
        'What still lands will show as merged or landed in the history; nothing else of this convoy is merged or landed.',
    );
    expect(summarizeBeads(closed, closed.beads)).toContain('- #0 "API" IN_REVIEW, by nux, its merge is being pushed');
  });

  it('given a close whose merge under way was recorded before it answered, when summarised, then it says how that merge ended', () => {
    const closed = convoy('Login', [], {
      status: 'CANCELLED',
      cancelReason: 'plan changed',
      mergesUnderWay: [
        { id: id(100), index: 0, title: 'API', status: 'CLOSED' },
        { id: id(101), index: 1, title: 'Docs', status: 'CANCELLED' },
      ],
    });

    expect(summarizeConvoy(closed)).toContain('the merge of #0 "API" (since merged) and the merge of #1 "Docs" (not merged: its push failed)');
  });

  it('given a close with nothing under way, when summarised, then only the close and its reason are told', () => {
    expect(summarizeConvoy(convoy('Login', [], { status: 'CANCELLED', cancelReason: 'plan changed' }))).toMatch(/It was closed: plan changed\.$/);
  });

  it('given a convoy FAILED by a bead, when summarised, then gt_retry_landing is not offered', () => {
    expect(summarizeConvoy(convoy('Login', loginConvoy().beads, { status: 'FAILED' }))).not.toContain('gt_retry_landing');
  });

  it('given a landing retried, when summarised, then it says the rest lands again, nothing landed twice and no bead runs again', () => {
    const text = summarizeLandingRetried(
      convoy('Multi', [], { status: 'READY_TO_LAND', landings: [{ rigId: id(2), status: 'FAILED', commit: null, reason: 'merge conflict' }] }),
    );
    expect(text).toBe(
      `Convoy "Multi" (id ${id(50)}) is READY_TO_LAND: its landing starts again on the rigs not landed yet, with a fresh landing budget; ` +
        `rigs already LANDED stay landed and no bead runs again. Landings so far: rig ${id(2)} FAILED (merge conflict). Follow it with gt_convoy_status.`,
    );
  });

  it('given a blocked bead that waits on another blocked bead, when the blockers are found, then the failed bead at the root is named once', () => {
    expect(blockingBeads(loginConvoy().beads).map((b) => b.title)).toEqual(['Schema']);
  });

  it('given any dependency graph, when the blockers are found, then each is FAILED or CANCELLED upstream of a blocked bead, and a direct one is never missed', () => {
    const statuses: BeadStatus[] = ['OPEN', 'IN_PROGRESS', 'CLOSED', 'FAILED', 'CANCELLED'];
    const graph = fc.integer({ min: 1, max: 12 }).chain((n) =>
      fc.tuple(
        fc.array(fc.constantFrom(...statuses), { minLength: n, maxLength: n }),
        fc.array(fc.boolean(), { minLength: n, maxLength: n }),
        fc.array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: n, maxLength: n }),
      ),
    );
    fc.assert(
      fc.property(graph, ([status, blocked, deps]) => {
        // Edges only point backwards, as in a plan that passed the cycle check.
        const beads = status.map((s, i) =>
          bead(i, `t${i}`, {
            status: s,
            blocked: s === 'OPEN' && blocked[i],
            blockedBy: i === 0 ? [] : [...new Set(deps[i].map((d) => d % i))].map((d) => ({ id: id(100 + d) })),
          }),
        );
        const upstreamOfBlocked = new Set<string>();
        const visit = (i: number): void => {
          for (const { id: up } of beads[i].blockedBy) {
            if (upstreamOfBlocked.has(up)) continue;
            upstreamOfBlocked.add(up);
            visit(beads.findIndex((b) => b.id === up));
          }
        };
        beads.forEach((b, i) => b.blocked && visit(i));
        const found = blockingBeads(beads);
        for (const blocker of found) {
          expect(['FAILED', 'CANCELLED']).toContain(blocker.status);
          expect(upstreamOfBlocked.has(blocker.id)).toBe(true);
        }
        const direct = beads
          .filter((b) => b.blocked)
          .flatMap((b) => beads.filter((up) => b.blockedBy.some((ref) => ref.id === up.id)))
          .filter((up) => up.status === 'FAILED' || up.status === 'CANCELLED');
        for (const blocker of direct) expect(found).toContainEqual(blocker);
      }),
    );
  });

  it('given a landed convoy, when summarised, then it says LANDED with the short landing commit', () => {
    const beads = [bead(0, 'Schema', { status: 'CLOSED' }), bead(1, 'API', { status: 'CLOSED' })];
    const text = summarizeConvoy(convoy('Login', beads, { status: 'LANDED', landedCommit: sha, landedAt: '2026-11-25T09:10:00.000Z' }));

    expect(text).toBe(
      `Convoy "Login" (id ${id(50)}) is LANDED: 2 of 2 beads closed. Landed as commit abcdef012345 at 2026-11-25T09:10:00.000Z.`,
    );
  });

  it('given a staged convoy, when summarised, then it says nothing runs until gt_convoy_start', () => {
    expect(summarizeConvoy(convoy('Login', [bead(0, 'Schema')], { status: 'STAGED' }))).toContain('until gt_convoy_start');
  });

  it('given a failed or closed convoy, when summarised, then the reason is given', () => {
    expect(summarizeConvoy(convoy('Login', [], { status: 'FAILED', failureReason: 'landing conflicts with main' }))).toContain(
      'It failed: landing conflicts with main.',
    );
    expect(summarizeConvoy(convoy('Login', [], { status: 'CANCELLED', cancelReason: 'superseded' }))).toContain('It was closed: superseded.');
  });

  it('given a held convoy, when summarised, then the hold, its reason and what it means for planning come before the status tail', () => {
    const summary = summarizeConvoy(
      convoy('Login', [], { held: true, heldReason: 'rejected by the read-model schema (SQLSTATE 23505)', heldSince: '2026-11-25T09:06:00.000Z' }),
    );

    expect(summary).toContain('HELD since 2026-11-25T09:06:00.000Z: rejected by the read-model schema (SQLSTATE 23505).');
    expect(summary).toContain('do not re-plan the convoy because of the hold');
  });

  it('given convoys of the town, when listed, then each line names title, status, progress and id', () => {
    const active = loginConvoy();
    const text = summarizeConvoyList({ convoys: [active], totalCount: 1, hasNextPage: false }, 'ACTIVE');

    expect(text).toBe(`1 ACTIVE convoy, newest first:\n- "Login" ACTIVE, 1 of 5 beads closed, 1 in progress, 2 blocked, 1 failed (id ${id(50)})`);
    expect(summarizeConvoyList({ convoys: [], totalCount: 0, hasNextPage: false }, 'LANDED')).toBe('No LANDED convoys in this town.');
  });

  it('given more convoys than a summary shows, when listed, then the rest is counted', () => {
    const many = Array.from({ length: SUMMARY_LINES + 5 }, () => loginConvoy());
    const text = summarizeConvoyList({ convoys: many, totalCount: 40, hasNextPage: true });

    expect(text.split('\n').filter((l) => l.startsWith('- '))).toHaveLength(SUMMARY_LINES);
    expect(text).toContain('…and 15 more (ask for more with first).');
  });

  it('given the beads of a convoy, when listed, then each line has index, title, status, the reason that matters and the id', () => {
    const login = loginConvoy();
    const text = summarizeBeads(login, login.beads);

    expect(text.split('\n')).toEqual([
      'Convoy "Login" (ACTIVE): 1 of 5 beads closed, 1 in progress, 2 blocked (waiting on "Schema" which FAILED), 1 failed:',
      `- #0 "Schema" FAILED, after 3 attempts: tests fail: users table missing (id ${id(100)})`,
      `- #1 "Seed" OPEN, blocked: waits on "Schema" which FAILED (id ${id(101)})`,
      `- #2 "UI" OPEN, blocked (id ${id(102)})`,
      `- #3 "API" IN_PROGRESS, by nux, attempt 2 (id ${id(103)})`,
      `- #4 "Docs" CLOSED, merged as abcdef012345 (id ${id(104)})`,
    ]);
  });

  it('given a status filter, when listed, then the head counts the matching beads, or says there is none', () => {
    const login = loginConvoy();

    expect(summarizeBeads(login, login.beads.filter((b) => b.status === 'CLOSED'), 'CLOSED')).toBe(
      `Convoy "Login" (ACTIVE) has 5 beads, 1 CLOSED:\n- #4 "Docs" CLOSED, merged as abcdef012345 (id ${id(104)})`,
    );
    expect(summarizeBeads(login, [], 'IN_REVIEW')).toBe('Convoy "Login" (ACTIVE) has 5 beads, 0 IN_REVIEW.');
  });

  it('given an open bead waiting on others, when listed, then it names them by index', () => {
    const schema = bead(0, 'Schema', { status: 'IN_PROGRESS' });
    const api = bead(1, 'API', { blockedBy: [{ id: schema.id }] });

    expect(summarizeBeads(convoy('Login', [schema, api]), [api])).toContain(`- #1 "API" OPEN, waits on #0 (id ${id(101)})`);
  });
});
