import { CONVOY_A, CONVOY_B, RIG_API, T0, TOWN, World } from './dispatch.fixture';
import { polecatOf } from './polecat.names';

describe('dispatch state', () => {
  it('given a commit already applied, when it is delivered again, then it changes nothing', () => {
    const world = new World().rig(RIG_API, 2);
    const [id] = world.sling(CONVOY_A, [{}]);
    world.dispatched(CONVOY_A, id, polecatOf(RIG_API, 0));
    const dispatch = world.commits[world.commits.length - 1];
    world.attemptFailed(CONVOY_A, id, T0);

    expect(world.state.apply(dispatch)).toEqual({ applied: false });
    expect(world.beadView(CONVOY_A, id)).toMatchObject({ status: 'OPEN', attempt: 1, consecutiveFailures: 1 });
  });

  it('given a rig registered, then its capacity and town are known', () => {
    const world = new World().rig(RIG_API, 3);
    expect(world.state.rigs.get(RIG_API)).toMatchObject({ townId: TOWN, maxPolecats: 3 });
  });

  it('given beads made ready by successive commits, then each remembers the commit that made it ready', () => {
    const world = new World().rig(RIG_API, 2);
    const ids = world.sling(CONVOY_A, [{}, { dependsOn: [0] }]);
    world.dispatched(CONVOY_A, ids[0], polecatOf(RIG_API, 0)).submitted(CONVOY_A, ids[0]).merged(CONVOY_A, ids[0], [ids[1]]);
    const entry = world.state.convoys.get(CONVOY_A);
    expect(entry?.readySeq.get(ids[1])).toBeGreaterThan(entry?.readySeq.get(ids[0]) ?? Infinity);
  });

  it('given a held convoy, when later commits arrive, then they are not applied and other convoys still are', () => {
    const world = new World().rig(RIG_API, 2);
    const [a] = world.sling(CONVOY_A, [{}]);
    const [b] = world.sling(CONVOY_B, [{}]);
    world.state.hold(`gt.evt.${TOWN}.convoy.${CONVOY_A}`, 1_000, TOWN, CONVOY_A, 'event 0: unknown event type "Odd"');
    world.dispatched(CONVOY_A, a, polecatOf(RIG_API, 0)).dispatched(CONVOY_B, b, polecatOf(RIG_API, 1));

    expect(world.state.convoys.get(CONVOY_A)?.held).toMatch(/unknown event type/);
    expect(world.beadView(CONVOY_A, a).status).toBe('OPEN');
    expect(world.beadView(CONVOY_B, b).status).toBe('IN_PROGRESS');
  });

  it('given a held convoy released at its held commit, when that commit and the ones passed over are folded again, then they apply; a skipped commit never does', () => {
    const world = new World().rig(RIG_API, 2);
    const [a] = world.sling(CONVOY_A, [{}]);
    const subject = `gt.evt.${TOWN}.convoy.${CONVOY_A}`;
    world.dispatched(CONVOY_A, a, polecatOf(RIG_API, 0));
    const dispatch = world.commits[world.commits.length - 1];
    world.state.hold(subject, dispatch.seq - 1, TOWN, CONVOY_A, 'payload missing');
    world.state.release(subject, CONVOY_A, dispatch.seq - 2);
    world.state.skip(subject, dispatch.seq - 1);

    expect(world.state.convoys.get(CONVOY_A)?.held).toBeNull();
    expect(world.state.apply(dispatch)).toEqual({ applied: true, convoyId: CONVOY_A });
    expect(world.beadView(CONVOY_A, a).status).toBe('IN_PROGRESS');
    expect(world.state.apply({ ...dispatch, seq: dispatch.seq - 1 })).toEqual({ applied: false });
  });

  it('given a cancelled convoy, then it is dropped and its cancellation is kept until it is old', () => {
    const world = new World().rig(RIG_API, 2);
    world.sling(CONVOY_A, [{}]);
    world.on(CONVOY_A, [{ type: 'ConvoyCancelled', data: { reason: 'stop', stopAgents: [], dropReviews: [], dropLanding: false } }], T0);

    expect(world.state.convoys.has(CONVOY_A)).toBe(false);
    expect(world.state.cancellations.get(CONVOY_A)).toEqual({ townId: TOWN, convoyId: CONVOY_A, reason: 'stop', at: T0 });
    world.state.forgetCancellationsBefore(T0 + 1);
    expect(world.state.cancellations.size).toBe(0);

    world.on(CONVOY_A, [{ type: 'ConvoyStarted', data: {} }]);
    expect(world.state.convoys.has(CONVOY_A)).toBe(false);
  });
});
