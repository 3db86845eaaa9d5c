import type { BeadStatus } from '@gastown/contracts';
import { bead, CONVOY_A, CONVOY_B, RIG_API, RIG_WEB, sha, T0, TOWN, World } from '../dispatch/dispatch.fixture';
import { polecatOf } from '../dispatch/polecat.names';
import {
  afterCheck,
  inFlight,
  schedule,
  verdict,
  type InFlight,
  type ReconcileLimits,
  type StartedAttempts,
  type Watch,
} from './reconcile.planner';

const LIMITS: ReconcileLimits = { startDeadlineMs: 15_000, maxRepublishes: 2 };
const NONE_STARTED: StartedAttempts = { has: () => false };
const startedOnly = (...keys: string[]): StartedAttempts => ({ has: (beadId, attempt) => keys.includes(`${beadId}:${attempt}`) });
const keys = (items: readonly InFlight[]) => items.map((i) => i.key).sort();

/** Convoy A on RIG_API with beads 0 and 1 dispatched (attempt 1), bead 2 still open. */
function dispatchedWorld(): World {
  const world = new World().rig(RIG_API, 3);
  world.sling(CONVOY_A, [{}, {}, {}]);
  world.dispatched(CONVOY_A, bead(CONVOY_A, 0), polecatOf(RIG_API, 0));
  world.dispatched(CONVOY_A, bead(CONVOY_A, 1), polecatOf(RIG_API, 1));
  return world;
}

describe('reconciliation: what is in flight', () => {
  it('given two dispatched attempts, when neither has started, then both agent jobs are watched, naming their polecats', () => {
    const world = dispatchedWorld();
    const items = inFlight(world.state, NONE_STARTED);
    expect(keys(items)).toEqual([`agent:${bead(CONVOY_A, 0)}:1`, `agent:${bead(CONVOY_A, 1)}:1`].sort());
    expect(items.find((i) => i.key.startsWith(`agent:${bead(CONVOY_A, 0)}`))?.agentId).toBe(polecatOf(RIG_API, 0).id);
  });

  it('given one attempt started, when planned, then only the other is watched: a started agent is its runner’s to heartbeat', () => {
    const world = dispatchedWorld();
    expect(keys(inFlight(world.state, startedOnly(`${bead(CONVOY_A, 0)}:1`)))).toEqual([`agent:${bead(CONVOY_A, 1)}:1`]);
  });

  it('given a submitted bead, when planned, then its merge job is watched until it is merged', () => {
    const world = dispatchedWorld();
    world.submitted(CONVOY_A, bead(CONVOY_A, 0));
    expect(keys(inFlight(world.state, NONE_STARTED))).toContain(`merge:${bead(CONVOY_A, 0)}:1`);
    world.merged(CONVOY_A, bead(CONVOY_A, 0));
    expect(keys(inFlight(world.state, NONE_STARTED)).some((k) => k.startsWith('merge:'))).toBe(false);
  });

  it('given a landing on two rigs with one landed, when planned, then only the other rig’s land job is watched', () => {
    const world = new World().rig(RIG_API, 1).rig(RIG_WEB, 1);
    world.sling(CONVOY_A, [{ rigId: RIG_API }, { rigId: RIG_WEB }]);
    for (const [index, rigId] of [RIG_API, RIG_WEB].entries()) {
      world.dispatched(CONVOY_A, bead(CONVOY_A, index), polecatOf(rigId, 0)).submitted(CONVOY_A, bead(CONVOY_A, index));
      world.merged(CONVOY_A, bead(CONVOY_A, index));
    }
    world.on(CONVOY_A, [{ type: 'ConvoyReadyToLand', data: {} }, { type: 'ConvoyLandingStarted', data: { attempt: 1 } }]);
    world.on(CONVOY_A, [{ type: 'RigLanded', data: { rigId: RIG_API, commit: sha('ef'), targetBranch: 'main' } }]);
    expect(keys(inFlight(world.state, NONE_STARTED))).toEqual([`land:${CONVOY_A}:1:${RIG_WEB}`]);
  });

  it('given a held convoy, when planned, then none of its work is watched, as the planner does nothing for it', () => {
    const world = dispatchedWorld();
    world.sling(CONVOY_B, [{}]);
    world.dispatched(CONVOY_B, bead(CONVOY_B, 0), polecatOf(RIG_API, 2));
    world.state.hold(`gt.evt.${TOWN}.convoy.${CONVOY_A}`, 1_000, TOWN, CONVOY_A, 'unreadable commit');
    expect(keys(inFlight(world.state, NONE_STARTED))).toEqual([`agent:${bead(CONVOY_B, 0)}:1`]);
  });
});

describe('reconciliation: a closed convoy’s pushes granted before the close', () => {
  const cancelled = (dropReviews: string[], beadsCancelled: { beadId: string; previousStatus: BeadStatus }[], dropLanding = false) => [
    { type: 'ConvoyCancelled' as const, data: { reason: 'plan changed', stopAgents: [], dropReviews, dropLanding } },
    ...beadsCancelled.map((data) => ({ type: 'BeadCancelled' as const, data })),
  ];

  it('given a merge push granted before the close, when the convoy is closed, then that merge job is still watched, and the convoy is let go once the merge is recorded', () => {
    const world = dispatchedWorld();
    const [granted, reviewed, open] = [0, 1, 2].map((i) => bead(CONVOY_A, i));
    world.submitted(CONVOY_A, granted).submitted(CONVOY_A, reviewed);
    world.on(CONVOY_A, [{ type: 'BeadMergeClaimed', data: { beadId: granted, attempt: 1, mergeCommit: sha('cd'), targetBranch: 'main' } }]);

    world.on(CONVOY_A, cancelled([reviewed], [{ beadId: reviewed, previousStatus: 'IN_REVIEW' }, { beadId: open, previousStatus: 'OPEN' }]));

    expect(keys(inFlight(world.state, NONE_STARTED))).toEqual([`merge:${granted}:1`]);
    world.merged(CONVOY_A, granted);
    expect(inFlight(world.state, NONE_STARTED)).toEqual([]);
    expect(world.state.convoys.has(CONVOY_A)).toBe(false);
  });

  it('given a landing push granted before the close, when the convoy is closed, then that rig’s push job is still watched, and the convoy is let go once the push is aborted', () => {
    const world = new World().rig(RIG_API, 1).rig(RIG_WEB, 1);
    world.sling(CONVOY_A, [{ rigId: RIG_API }, { rigId: RIG_WEB }]);
    for (const [index, rigId] of [RIG_API, RIG_WEB].entries()) {
      world.dispatched(CONVOY_A, bead(CONVOY_A, index), polecatOf(rigId, 0)).submitted(CONVOY_A, bead(CONVOY_A, index));
      world.merged(CONVOY_A, bead(CONVOY_A, index));
    }
    const prepared = (rigId: string) => ({ type: 'RigLandingPrepared' as const, data: { rigId, attempt: 1, targetTip: sha('aa'), tree: sha('bb') } });
    world.on(CONVOY_A, [{ type: 'ConvoyReadyToLand', data: {} }, { type: 'ConvoyLandingStarted', data: { attempt: 1 } }]);
    world.on(CONVOY_A, [prepared(RIG_API), prepared(RIG_WEB), { type: 'ConvoyLandingPrepared', data: { attempt: 1 } }]);
    world.on(CONVOY_A, [{ type: 'RigLandingClaimed', data: { rigId: RIG_API, attempt: 1, commit: sha('ef'), targetBranch: 'main' } }]);

    world.on(CONVOY_A, cancelled([], [], true));

    expect(keys(inFlight(world.state, NONE_STARTED))).toEqual([`land-push:${CONVOY_A}:1:${RIG_API}`]);
    world.on(CONVOY_A, [{ type: 'RigLandingAborted', data: { rigId: RIG_API, attempt: 1, reason: 'the granted landing is not on main' } }]);
    expect(inFlight(world.state, NONE_STARTED)).toEqual([]);
    expect(world.state.convoys.has(CONVOY_A)).toBe(false);
  });

  it('given nothing granted, when the convoy is closed, then nothing of it is watched and it is let go at once', () => {
    const world = dispatchedWorld();
    const [reviewed, working, open] = [0, 1, 2].map((i) => bead(CONVOY_A, i));
    world.submitted(CONVOY_A, reviewed);

    world.on(
      CONVOY_A,
      cancelled([reviewed], [
        { beadId: reviewed, previousStatus: 'IN_REVIEW' },
        { beadId: working, previousStatus: 'IN_PROGRESS' },
        { beadId: open, previousStatus: 'OPEN' },
      ]),
    );

    expect(inFlight(world.state, NONE_STARTED)).toEqual([]);
    expect(world.state.convoys.has(CONVOY_A)).toBe(false);
  });
});

describe('reconciliation: deadlines', () => {
  const items = () => inFlight(dispatchedWorld().state, NONE_STARTED);

  it('given work first seen now, when scheduled, then nothing is due and one deadline is armed, a start deadline from now', () => {
    const planned = schedule(items(), new Map(), T0, LIMITS);
    expect(planned.due).toEqual([]);
    expect(planned.nextAt).toBe(T0 + 15_000);
    expect([...planned.watches.values()]).toEqual([
      { checkAt: T0 + 15_000, republishes: 0 },
      { checkAt: T0 + 15_000, republishes: 0 },
    ]);
  });

  it('given work that started in time, when scheduled again, then its watch is gone and no deadline is left: the happy path never looks at the stream', () => {
    const first = schedule(items(), new Map(), T0, LIMITS);
    const planned = schedule([], first.watches, T0 + 2_000, LIMITS);
    expect(planned).toEqual({ watches: new Map(), due: [], nextAt: null });
  });

  it('given a deadline that has passed, when scheduled, then that item is due and the next deadline is the other’s', () => {
    const [a, b] = items();
    const watches = new Map<string, Watch>([
      [a.key, { checkAt: T0 - 1, republishes: 0 }],
      [b.key, { checkAt: T0 + 4_000, republishes: 1 }],
    ]);
    const planned = schedule([a, b], watches, T0, LIMITS);
    expect(planned.due).toEqual([a]);
    expect(planned.nextAt).toBe(T0 + 4_000);
  });
});

describe('reconciliation: what a due item needs', () => {
  const [agent] = inFlight(dispatchedWorld().state, NONE_STARTED);
  const merge: InFlight = { key: 'merge:x:1', job: { ...agent.job, kind: 'merge' } as InFlight['job'], agentId: null };
  const fresh: Watch = { checkAt: T0, republishes: 0 };

  it('given its job still on the stream, when due, then it waits: queued behind busy slots or in a runner’s hands', () => {
    expect(verdict(agent, { checkAt: T0, republishes: 2 }, true, LIMITS)).toEqual({ kind: 'wait' });
  });

  it('given its job gone and the work not started, when due, then the job is published again', () => {
    expect(verdict(agent, fresh, false, LIMITS)).toEqual({ kind: 'republish' });
  });

  it('given an agent job that vanished after every allowed re-publish, when due, then its attempt is LOST with the reason', () => {
    const outcome = verdict(agent, { checkAt: T0, republishes: 2 }, false, LIMITS);
    expect(outcome).toEqual({ kind: 'lost', reason: expect.stringMatching(/did not start.*3 times, 15 s apart/) });
  });

  it('given a merge job that keeps vanishing, when due, then it is only ever re-published: the refinery is idempotent and a merge has no LOST', () => {
    expect(verdict(merge, { checkAt: T0, republishes: 50 }, false, LIMITS)).toEqual({ kind: 'republish' });
  });

  it('given no re-publishes allowed, when an agent job is gone at its first deadline, then the attempt is LOST at once', () => {
    expect(verdict(agent, fresh, false, { ...LIMITS, maxRepublishes: 0 }).kind).toBe('lost');
  });

  it('given a check, when settled, then the item is looked at again one deadline later and only a re-publish is counted', () => {
    expect(afterCheck(fresh, { kind: 'republish' }, T0 + 100, LIMITS)).toEqual({ checkAt: T0 + 15_100, republishes: 1 });
    expect(afterCheck(fresh, { kind: 'wait' }, T0 + 100, LIMITS)).toEqual({ checkAt: T0 + 15_100, republishes: 0 });
  });
});
