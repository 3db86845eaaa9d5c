import { commandIds, jobId } from '@gastown/contracts';
import {
  NOTHING_DONE,
  plan,
  type Action,
  type BroadcastCancel,
  type Dispatch,
  type PublishJob,
  type StartLanding,
  type WakeAt,
} from './dispatch.planner';
import {
  CONVOY_A,
  CONVOY_B,
  LIMITS,
  OTHER_TOWN,
  RIG_API,
  RIG_ELSEWHERE,
  RIG_WEB,
  sha,
  T0,
  World,
} from './dispatch.fixture';
import { polecatOf } from './polecat.names';

const dispatches = (actions: Action[]) => actions.filter((a): a is Dispatch => a.kind === 'dispatch');
const jobs = (actions: Action[]) => actions.filter((a): a is PublishJob => a.kind === 'job').map((a) => jobId(a.job));
const landings = (actions: Action[]) => actions.filter((a): a is StartLanding => a.kind === 'start-landing');
const cancels = (actions: Action[]) => actions.filter((a): a is BroadcastCancel => a.kind === 'cancel');
const wake = (actions: Action[]) => actions.find((a): a is WakeAt => a.kind === 'wake')?.at;
const dispatched = (actions: Action[]) => dispatches(actions).map((d) => [d.beadId, d.agent.name]);
const parallel = (n: number, rigId = RIG_API) => Array.from({ length: n }, () => ({ rigId }));

describe('dispatch planner', () => {
  describe('capacity', () => {
    it('given a rig of 2 polecats and 5 ready beads, when planned, then the 2 oldest go to Nux and Slit', () => {
      const world = new World().rig(RIG_API, 2);
      const ids = world.sling(CONVOY_A, parallel(5));

      const actions = plan(world.state, T0, NOTHING_DONE, LIMITS);

      expect(dispatched(actions)).toEqual([
        [ids[0], 'Nux'],
        [ids[1], 'Slit'],
      ]);
      expect(dispatches(actions)[0]).toMatchObject({
        commandId: commandIds.dispatchBead(ids[0], 1),
        attempt: 1,
        townId: expect.any(String),
        convoyId: CONVOY_A,
        agent: polecatOf(RIG_API, 0),
      });
    });

    it('given one polecat at work, when planned, then only the free slot is filled, by the next idle name', () => {
      const world = new World().rig(RIG_API, 2);
      const ids = world.sling(CONVOY_A, parallel(5));
      world.dispatched(CONVOY_A, ids[0], polecatOf(RIG_API, 0));

      expect(dispatched(plan(world.state, T0, NOTHING_DONE, LIMITS))).toEqual([[ids[1], 'Slit']]);
    });

    it('given a full rig, when planned, then nothing is dispatched on it but another rig still gets work', () => {
      const world = new World().rig(RIG_API, 1).rig(RIG_WEB, 1);
      const ids = world.sling(CONVOY_A, [{ rigId: RIG_API }, { rigId: RIG_API }, { rigId: RIG_WEB }]);
      world.dispatched(CONVOY_A, ids[0], polecatOf(RIG_API, 0));

      expect(dispatched(plan(world.state, T0, NOTHING_DONE, LIMITS))).toEqual([[ids[2], 'Nux']]);
    });

    it('given a town cap of 3 over two rigs of 2, when planned, then 3 agents start in that town and another town is not limited by it', () => {
      const world = new World().rig(RIG_API, 2).rig(RIG_WEB, 2).rig(RIG_ELSEWHERE, 2, OTHER_TOWN);
      world.sling(CONVOY_A, [...parallel(3, RIG_API), ...parallel(3, RIG_WEB)]);
      world.sling(CONVOY_B, parallel(2, RIG_ELSEWHERE), { townId: OTHER_TOWN });

      const actions = dispatches(plan(world.state, T0, NOTHING_DONE, { ...LIMITS, maxAgentsPerTown: 3 }));

      expect(actions.filter((d) => d.convoyId === CONVOY_A)).toHaveLength(3);
      expect(actions.filter((d) => d.convoyId === CONVOY_B)).toHaveLength(2);
    });

    it('given 4 runner slots, town B with 6 ready beads and town A with 1, when planned, then A gets a slot and B the other 3', () => {
      const world = new World().rig(RIG_API, 8).rig(RIG_ELSEWHERE, 8, OTHER_TOWN);
      world.sling(CONVOY_B, parallel(6, RIG_ELSEWHERE), { townId: OTHER_TOWN });
      const [mine] = world.sling(CONVOY_A, parallel(1));

      const actions = dispatches(plan(world.state, T0, NOTHING_DONE, { ...LIMITS, agentSlots: 4 }));

      expect(actions.map((d) => d.beadId)).toContain(mine);
      expect(actions.filter((d) => d.convoyId === CONVOY_B)).toHaveLength(3);
    });

    it('given B holding 3 of 4 slots with more beads ready, when A\'s bead becomes ready, then the free slot goes to A, not to B\'s older beads', () => {
      const world = new World().rig(RIG_API, 8).rig(RIG_ELSEWHERE, 8, OTHER_TOWN);
      const theirs = world.sling(CONVOY_B, parallel(6, RIG_ELSEWHERE), { townId: OTHER_TOWN });
      theirs.slice(0, 3).forEach((id, i) => world.dispatched(CONVOY_B, id, polecatOf(RIG_ELSEWHERE, i)));
      const [mine] = world.sling(CONVOY_A, parallel(1));

      expect(dispatches(plan(world.state, T0, NOTHING_DONE, { ...LIMITS, agentSlots: 4 })).map((d) => d.beadId)).toEqual([mine]);
    });

    it('given every slot taken, when planned, then nothing more is dispatched until one frees', () => {
      const world = new World().rig(RIG_API, 8);
      const ids = world.sling(CONVOY_A, parallel(3));
      ids.slice(0, 2).forEach((id, i) => world.dispatched(CONVOY_A, id, polecatOf(RIG_API, i)));

      expect(dispatches(plan(world.state, T0, NOTHING_DONE, { ...LIMITS, agentSlots: 2 }))).toEqual([]);
    });

    it('given a dispatch already sent whose event has not arrived, when planned, then it keeps its slot and its name', () => {
      const world = new World().rig(RIG_API, 2);
      const ids = world.sling(CONVOY_A, parallel(4));
      const first = dispatches(plan(world.state, T0, NOTHING_DONE, LIMITS))[0];

      const again = plan(world.state, T0, { effects: new Set([first.key]), dispatching: [first] }, LIMITS);

      expect(dispatched(again)).toEqual([[ids[1], 'Slit']]);
    });

    it('given a dispatch the convoy service refused, when planned, then it is not sent again and its slot is free', () => {
      const world = new World().rig(RIG_API, 1);
      const ids = world.sling(CONVOY_A, parallel(2));
      const refused = commandIds.dispatchBead(ids[0], 1);

      expect(dispatched(plan(world.state, T0, { effects: new Set([refused]), dispatching: [] }, LIMITS))).toEqual([[ids[1], 'Nux']]);
    });
  });

  describe('polecat names', () => {
    it('given Nux finished while Slit works, when planned, then the next bead goes to Nux again', () => {
      const world = new World().rig(RIG_API, 2);
      const ids = world.sling(CONVOY_A, parallel(3));
      world.dispatched(CONVOY_A, ids[0], polecatOf(RIG_API, 0)).dispatched(CONVOY_A, ids[1], polecatOf(RIG_API, 1));
      world.submitted(CONVOY_A, ids[0]);

      expect(dispatched(plan(world.state, T0, NOTHING_DONE, LIMITS))).toEqual([[ids[2], 'Nux']]);
    });

    it('given the same state, when planned twice, then the same beads go to the same polecats with the same command ids', () => {
      const world = new World().rig(RIG_API, 3).rig(RIG_WEB, 2);
      world.sling(CONVOY_A, [...parallel(4, RIG_API), ...parallel(3, RIG_WEB)]);

      const first = plan(world.state, T0, NOTHING_DONE, LIMITS);
      const second = plan(world.state, T0, NOTHING_DONE, LIMITS);

      expect(dispatches(second)).toEqual(dispatches(first));
      expect(dispatches(first).map((d) => d.agent.id)).toEqual([
        polecatOf(RIG_API, 0).id,
        polecatOf(RIG_API, 1).id,
        polecatOf(RIG_API, 2).id,
        polecatOf(RIG_WEB, 0).id,
        polecatOf(RIG_WEB, 1).id,
      ]);
    });
  });

  describe('readiness', () => {
    it('given a chain, when planned, then only the first bead (the one view.ready names) is dispatched', () => {
      const world = new World().rig(RIG_API, 4);
      const ids = world.sling(CONVOY_A, [{}, { dependsOn: [0] }, { dependsOn: [1] }]);

      expect(dispatched(plan(world.state, T0, NOTHING_DONE, LIMITS))).toEqual([[ids[0], 'Nux']]);
    });

    it('given a blocker submitted but not merged, when planned, then its dependent waits', () => {
      const world = new World().rig(RIG_API, 4);
      const ids = world.sling(CONVOY_A, [{}, { dependsOn: [0] }]);
      world.dispatched(CONVOY_A, ids[0], polecatOf(RIG_API, 0)).submitted(CONVOY_A, ids[0]);

      expect(dispatches(plan(world.state, T0, NOTHING_DONE, LIMITS))).toEqual([]);
    });

    it('given a ready flag that claims a bead whose blocker is not CLOSED, when planned, then the bead is still not dispatched', () => {
      const world = new World().rig(RIG_API, 4);
      const ids = world.sling(CONVOY_A, [{}, { dependsOn: [0] }]);
      world.dispatched(CONVOY_A, ids[0], polecatOf(RIG_API, 0)).on(CONVOY_A, [{ type: 'BeadsBecameReady', data: { beadIds: [ids[1]] } }]);

      expect(dispatches(plan(world.state, T0, NOTHING_DONE, LIMITS))).toEqual([]);
    });

    it('given a blocker merged, when planned, then its dependent is dispatched', () => {
      const world = new World().rig(RIG_API, 4);
      const ids = world.sling(CONVOY_A, [{}, { dependsOn: [0] }]);
      world.dispatched(CONVOY_A, ids[0], polecatOf(RIG_API, 0)).submitted(CONVOY_A, ids[0]).merged(CONVOY_A, ids[0], [ids[1]]);

      expect(dispatched(plan(world.state, T0, NOTHING_DONE, LIMITS))).toEqual([[ids[1], 'Nux']]);
    });

    it('given a FAILED blocker holding its dependent, when planned, then neither is dispatched', () => {
      const world = new World().rig(RIG_API, 4);
      const ids = world.sling(CONVOY_A, [{}, { dependsOn: [0] }, {}]);
      world.dispatched(CONVOY_A, ids[0], polecatOf(RIG_API, 0)).on(CONVOY_A, [
        { type: 'BeadFailed', data: { beadId: ids[0], attempt: 1, reason: 'unrecoverable', agentResult: null } },
        { type: 'BeadsHeld', data: { beads: [{ beadId: ids[1], reason: 'held by failed bead "task 0"', heldBy: [ids[0]] }] } },
      ]);

      expect(dispatched(plan(world.state, T0, NOTHING_DONE, LIMITS))).toEqual([[ids[2], 'Nux']]);
    });

    it('given beads of two convoys, when one slot is free, then the bead that became ready first goes first', () => {
      const world = new World().rig(RIG_API, 1);
      const a = world.sling(CONVOY_A, [{}, { dependsOn: [0] }]);
      const b = world.sling(CONVOY_B, parallel(1));
      world.dispatched(CONVOY_A, a[0], polecatOf(RIG_API, 0)).submitted(CONVOY_A, a[0]).merged(CONVOY_A, a[0], [a[1]]);

      expect(dispatched(plan(world.state, T0, NOTHING_DONE, LIMITS))).toEqual([[b[0], 'Nux']]);
    });

    it('given a staged convoy, when planned, then nothing is dispatched', () => {
      const world = new World().rig(RIG_API, 4);
      world.sling(CONVOY_A, parallel(2), { staged: true });

      expect(plan(world.state, T0, NOTHING_DONE, LIMITS)).toEqual([]);
    });

    it('given a bead on a rig no event registered, when planned, then it waits rather than guessing a capacity', () => {
      const world = new World().rig(RIG_API, 4);
      world.sling(CONVOY_A, parallel(1, RIG_ELSEWHERE), { mergeMode: 'REVIEW_AND_MERGE' });

      expect(plan(world.state, T0, NOTHING_DONE, LIMITS)).toEqual([]);
    });
  });

  describe('back-off after a failed attempt', () => {
    it('given one failure, when planned before base ms have passed, then it waits and asks to be woken at the end of the back-off', () => {
      const world = new World().rig(RIG_API, 2);
      const ids = world.sling(CONVOY_A, parallel(1));
      world.dispatched(CONVOY_A, ids[0], polecatOf(RIG_API, 0)).attemptFailed(CONVOY_A, ids[0], T0 + 10_000);

      const early = plan(world.state, T0 + 11_999, NOTHING_DONE, LIMITS);
      const due = plan(world.state, T0 + 12_000, NOTHING_DONE, LIMITS);

      expect(dispatches(early)).toEqual([]);
      expect(wake(early)).toBe(T0 + 12_000);
      expect(dispatches(due)).toMatchObject([{ beadId: ids[0], attempt: 2, commandId: commandIds.dispatchBead(ids[0], 2) }]);
      expect(wake(due)).toBeUndefined();
    });

    it('given three failures in a row, when planned, then the pause has doubled twice, and it never exceeds the maximum', () => {
      const world = new World().rig(RIG_API, 2);
      const [id] = world.sling(CONVOY_A, parallel(1));
      for (let i = 0; i < 3; i++) world.dispatched(CONVOY_A, id, polecatOf(RIG_API, 0)).attemptFailed(CONVOY_A, id, T0);

      expect(wake(plan(world.state, T0, NOTHING_DONE, LIMITS))).toBe(T0 + 8_000);
      expect(wake(plan(world.state, T0, NOTHING_DONE, { ...LIMITS, retryMaxMs: 5_000 }))).toBe(T0 + 5_000);
    });

    it('given a bead in back-off, when a slot is free, then a younger ready bead takes it meanwhile', () => {
      const world = new World().rig(RIG_API, 1);
      const ids = world.sling(CONVOY_A, parallel(2));
      world.dispatched(CONVOY_A, ids[0], polecatOf(RIG_API, 0)).attemptFailed(CONVOY_A, ids[0], T0);

      expect(dispatched(plan(world.state, T0 + 1, NOTHING_DONE, LIMITS))).toEqual([[ids[1], 'Nux']]);
    });
  });

  describe('landing', () => {
    const readyToLand = () => {
      const world = new World().rig(RIG_API, 2);
      const [id] = world.sling(CONVOY_A, parallel(1));
      world.dispatched(CONVOY_A, id, polecatOf(RIG_API, 0)).submitted(CONVOY_A, id).merged(CONVOY_A, id);
      return world.on(CONVOY_A, [{ type: 'ConvoyReadyToLand', data: {} }]);
    };

    it('given a convoy READY_TO_LAND, when planned, then its landing is started with a deterministic command id', () => {
      expect(landings(plan(readyToLand().state, T0, NOTHING_DONE, LIMITS))).toEqual([
        { kind: 'start-landing', key: commandIds.startLanding(CONVOY_A, 1), commandId: commandIds.startLanding(CONVOY_A, 1), townId: expect.any(String), convoyId: CONVOY_A, attempt: 1 },
      ]);
    });

    it('given a failed landing, when planned within the back-off, then it waits; afterwards the next attempt starts', () => {
      const world = readyToLand().on(CONVOY_A, [{ type: 'ConvoyLandingStarted', data: { attempt: 1 } }]);
      world.on(CONVOY_A, [{ type: 'ConvoyLandingFailed', data: { attempt: 1, reason: 'conflict on main', rigId: null } }], T0 + 1_000);

      const early = plan(world.state, T0 + 2_999, NOTHING_DONE, LIMITS);
      expect(landings(early)).toEqual([]);
      expect(wake(early)).toBe(T0 + 3_000);
      expect(landings(plan(world.state, T0 + 3_000, NOTHING_DONE, LIMITS))).toMatchObject([{ commandId: commandIds.startLanding(CONVOY_A, 2), attempt: 2 }]);
    });

    it('given a second failed landing, when planned, then the back-off has doubled', () => {
      const world = readyToLand();
      for (const attempt of [1, 2]) {
        world.on(CONVOY_A, [{ type: 'ConvoyLandingStarted', data: { attempt } }]);
        world.on(CONVOY_A, [{ type: 'ConvoyLandingFailed', data: { attempt, reason: 'conflict on main', rigId: null } }], T0);
      }
      expect(wake(plan(world.state, T0, NOTHING_DONE, LIMITS))).toBe(T0 + 4_000);
    });
  });

  describe('jobs', () => {
    it('given an ACTIVE review-then-land convoy over two rigs, when planned, then each rig gets its feature-branch job', () => {
      const world = new World().rig(RIG_API, 1).rig(RIG_WEB, 1);
      world.sling(CONVOY_A, [{ rigId: RIG_API }, { rigId: RIG_WEB }]);

      expect(jobs(plan(world.state, T0, NOTHING_DONE, LIMITS))).toEqual([`branch:${CONVOY_A}:${RIG_API}`, `branch:${CONVOY_A}:${RIG_WEB}`]);
    });

    it('given a review-and-merge convoy, when planned, then no feature branch is asked for', () => {
      const world = new World().rig(RIG_API, 1);
      world.sling(CONVOY_A, parallel(1), { mergeMode: 'REVIEW_AND_MERGE' });

      expect(jobs(plan(world.state, T0, NOTHING_DONE, LIMITS))).toEqual([]);
    });

    it('given beads at work and in review, when planned, then each gets its agent or merge job for its attempt', () => {
      const world = new World().rig(RIG_API, 4);
      const ids = world.sling(CONVOY_A, parallel(2), { mergeMode: 'REVIEW_AND_MERGE' });
      world.dispatched(CONVOY_A, ids[0], polecatOf(RIG_API, 0)).dispatched(CONVOY_A, ids[1], polecatOf(RIG_API, 1)).submitted(CONVOY_A, ids[1]);

      expect(jobs(plan(world.state, T0, NOTHING_DONE, LIMITS))).toEqual([`agent:${ids[0]}:1`, `merge:${ids[1]}:1`]);
    });

    it('given a landing under way with one rig landed, when planned, then only the other rig gets a land job for the attempt', () => {
      const world = new World().rig(RIG_API, 1).rig(RIG_WEB, 1);
      const ids = world.sling(CONVOY_A, [{ rigId: RIG_API }, { rigId: RIG_WEB }]);
      for (const [i, rigId] of [RIG_API, RIG_WEB].entries()) {
        world.dispatched(CONVOY_A, ids[i], polecatOf(rigId, 0)).submitted(CONVOY_A, ids[i]).merged(CONVOY_A, ids[i]);
      }
      world.on(CONVOY_A, [{ type: 'ConvoyReadyToLand', data: {} }, { type: 'ConvoyLandingStarted', data: { attempt: 1 } }]);
      world.on(CONVOY_A, [{ type: 'RigLanded', data: { rigId: RIG_API, commit: sha('ef'), targetBranch: 'main' } }]);

      const planned = jobs(plan(world.state, T0, NOTHING_DONE, LIMITS));
      expect(planned.filter((id) => id.startsWith('land:'))).toEqual([`land:${CONVOY_A}:1:${RIG_WEB}`]);
      expect(landings(plan(world.state, T0, NOTHING_DONE, LIMITS))).toEqual([]);
    });

    it('given a landing on two rigs, when planned, then both are prepared before any push; once prepared, the pushes go rig by rig', () => {
      const world = new World().rig(RIG_API, 1).rig(RIG_WEB, 1);
      const ids = world.sling(CONVOY_A, [{ rigId: RIG_API }, { rigId: RIG_WEB }]);
      for (const [i, rigId] of [RIG_API, RIG_WEB].entries()) {
        world.dispatched(CONVOY_A, ids[i], polecatOf(rigId, 0)).submitted(CONVOY_A, ids[i]).merged(CONVOY_A, ids[i]);
      }
      world.on(CONVOY_A, [{ type: 'ConvoyReadyToLand', data: {} }, { type: 'ConvoyLandingStarted', data: { attempt: 1 } }]);
      const landJobs = () => jobs(plan(world.state, T0, NOTHING_DONE, LIMITS)).filter((id) => id.startsWith('land'));
      expect(landJobs()).toEqual([`land:${CONVOY_A}:1:${RIG_API}`, `land:${CONVOY_A}:1:${RIG_WEB}`]);

      const prepared = (rigId: string) => ({ type: 'RigLandingPrepared' as const, data: { rigId, attempt: 1, targetTip: sha('ab'), tree: sha('cd') } });
      world.on(CONVOY_A, [prepared(RIG_API)]);
      expect(landJobs()).toEqual([`land:${CONVOY_A}:1:${RIG_WEB}`]);
      world.on(CONVOY_A, [prepared(RIG_WEB), { type: 'ConvoyLandingPrepared', data: { attempt: 1 } }]);
      expect(landJobs()).toEqual([`land-push:${CONVOY_A}:1:${RIG_API}`]);
      world.on(CONVOY_A, [{ type: 'RigLanded', data: { rigId: RIG_API, commit: sha('ef'), targetBranch: 'main' } }]);
      expect(landJobs()).toEqual([`land-push:${CONVOY_A}:1:${RIG_WEB}`]);
    });

    it('given jobs already published by this process, when planned, then they are not published again', () => {
      const world = new World().rig(RIG_API, 4);
      const ids = world.sling(CONVOY_A, parallel(1));
      world.dispatched(CONVOY_A, ids[0], polecatOf(RIG_API, 0));
      const first = plan(world.state, T0, NOTHING_DONE, LIMITS).filter((a): a is PublishJob => a.kind === 'job');

      expect(plan(world.state, T0, { effects: new Set(first.map((a) => a.key)), dispatching: [] }, LIMITS)).toEqual([]);
    });
  });

  describe('cancellation and terminal convoys', () => {
    const cancelled = (at: number) => {
      const world = new World().rig(RIG_API, 2);
      const ids = world.sling(CONVOY_A, parallel(2));
      world.dispatched(CONVOY_A, ids[0], polecatOf(RIG_API, 0));
      return world.on(
        CONVOY_A,
        [
          { type: 'ConvoyCancelled', data: { reason: 'changed plans', stopAgents: [{ beadId: ids[0], agentId: polecatOf(RIG_API, 0).id, attempt: 1 }], dropReviews: [], dropLanding: false } },
          { type: 'BeadCancelled', data: { beadId: ids[0], previousStatus: 'IN_PROGRESS' } },
          { type: 'BeadCancelled', data: { beadId: ids[1], previousStatus: 'OPEN' } },
        ],
        at,
      );
    };

    it('given a convoy just cancelled, when planned, then the cancel is broadcast and nothing else is done for it', () => {
      const world = cancelled(T0);

      const actions = plan(world.state, T0 + 1_000, NOTHING_DONE, LIMITS);

      expect(actions).toEqual([
        { kind: 'cancel', key: `cancel:${CONVOY_A}`, cancel: { townId: expect.any(String), convoyId: CONVOY_A, reason: 'changed plans' } },
      ]);
      expect(cancels(plan(world.state, T0 + 1_000, { effects: new Set([`cancel:${CONVOY_A}`]), dispatching: [] }, LIMITS))).toEqual([]);
    });

    it('given a convoy closed while a merge push it granted is under way, when planned, then only the cancel is broadcast: reconciliation alone sees that push through', () => {
      const world = new World().rig(RIG_API, 2);
      const [id] = world.sling(CONVOY_A, parallel(1), { mergeMode: 'REVIEW_AND_MERGE' });
      world.dispatched(CONVOY_A, id, polecatOf(RIG_API, 0)).submitted(CONVOY_A, id);
      world.on(CONVOY_A, [{ type: 'BeadMergeClaimed', data: { beadId: id, attempt: 1, mergeCommit: sha('cd'), targetBranch: 'main' } }]);
      world.on(CONVOY_A, [{ type: 'ConvoyCancelled', data: { reason: 'changed plans', stopAgents: [], dropReviews: [], dropLanding: false } }], T0);

      expect(world.state.convoys.has(CONVOY_A)).toBe(true);
      expect(plan(world.state, T0 + 1_000, NOTHING_DONE, LIMITS).map((a) => a.kind)).toEqual(['cancel']);
    });

    it('given a convoy cancelled long ago, when a dispatcher starts, then no broadcast is repeated', () => {
      expect(plan(cancelled(T0).state, T0 + LIMITS.cancelReplayMs + 1, NOTHING_DONE, LIMITS)).toEqual([]);
    });

    it('given a LANDED convoy, when planned, then nothing is done for it and it is no longer kept', () => {
      const world = new World().rig(RIG_API, 2);
      const [id] = world.sling(CONVOY_A, parallel(1), { mergeMode: 'REVIEW_AND_MERGE' });
      world.dispatched(CONVOY_A, id, polecatOf(RIG_API, 0)).submitted(CONVOY_A, id).merged(CONVOY_A, id);
      world.on(CONVOY_A, [{ type: 'ConvoyLanded', data: { landings: [{ rigId: RIG_API, commit: sha('cd') }] } }]);

      expect(plan(world.state, T0, NOTHING_DONE, LIMITS)).toEqual([]);
      expect(world.state.convoys.has(CONVOY_A)).toBe(false);
    });

    it('given a convoy held on an undecodable commit, when planned, then nothing is done for it while other convoys go on', () => {
      const world = new World().rig(RIG_API, 4);
      world.sling(CONVOY_A, parallel(2));
      const b = world.sling(CONVOY_B, parallel(1));
      world.state.hold(`gt.evt.t.convoy.${CONVOY_A}`, 100, 'town', CONVOY_A, 'not a commit');

      const actions = plan(world.state, T0, NOTHING_DONE, LIMITS);

      expect(dispatched(actions)).toEqual([[b[0], 'Nux']]);
      expect(jobs(actions)).toEqual([`branch:${CONVOY_B}:${RIG_API}`]);
    });

    it('given a FAILED convoy, when planned, then nothing is dispatched and no branch is asked for', () => {
      const world = new World().rig(RIG_API, 2);
      const ids = world.sling(CONVOY_A, parallel(1));
      world.dispatched(CONVOY_A, ids[0], polecatOf(RIG_API, 0)).on(CONVOY_A, [
        { type: 'BeadFailed', data: { beadId: ids[0], attempt: 1, reason: 'gave up', agentResult: null } },
        { type: 'ConvoyFailed', data: { reason: 'bead failed', failedBeadIds: [ids[0]] } },
      ]);

      expect(plan(world.state, T0, NOTHING_DONE, LIMITS)).toEqual([]);
    });
  });
});
