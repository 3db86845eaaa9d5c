import fc from 'fast-check';
import { beadIdFor, BeadStatus, ConvoyStatus } from '@gastown/contracts';
import { emptyConvoyView, type BeadView } from '@gastown/convoy-view';
import { NOTHING_DONE, plan, type Action, type Dispatch } from './dispatch.planner';
import type { ConvoyEntry, DispatchStateView, RigEntry } from './dispatch.state';
import { LIMITS, OTHER_TOWN, T0, TOWN } from './dispatch.fixture';
import { polecatOf } from './polecat.names';

/**
 * Arbitrary states, not only the ones the convoy decider would produce: the planner must keep
 * its promises even when the derived flags (ready, held) disagree with the facts.
 */
const RIGS = [
  '11111111-1111-4111-8111-111111111111',
  '22222222-2222-4222-8222-222222222222',
  '33333333-3333-4333-8333-333333333333',
];
const CONVOYS = ['aaaaaaaa-0000-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-000000000002', 'cccccccc-0000-4000-8000-000000000003'];

const beadArb = fc.record({
  rig: fc.nat({ max: RIGS.length - 1 }),
  status: fc.constantFrom(...BeadStatus.options),
  ready: fc.boolean(),
  held: fc.boolean(),
  attempt: fc.nat({ max: 3 }),
  agentSlot: fc.nat({ max: 5 }),
  failures: fc.nat({ max: 3 }),
  failedAgoMs: fc.nat({ max: 120_000 }),
  deps: fc.array(fc.nat({ max: 20 }), { maxLength: 3 }),
  readySeq: fc.nat({ max: 50 }),
});

const convoyArb = fc.record({
  status: fc.constantFrom<ConvoyStatus>('ACTIVE', 'ACTIVE', 'ACTIVE', ...ConvoyStatus.options.filter((s) => s !== 'LANDED' && s !== 'CANCELLED')),
  otherTown: fc.boolean(),
  beads: fc.array(beadArb, { minLength: 1, maxLength: 10 }),
});

const worldArb = fc.record({
  capacities: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
  townCap: fc.integer({ min: 1, max: 8 }),
  convoys: fc.array(convoyArb, { minLength: 1, maxLength: CONVOYS.length }),
});

type WorldSpec = typeof worldArb extends fc.Arbitrary<infer T> ? T : never;

function build(spec: WorldSpec): DispatchStateView {
  const rigs = new Map<string, RigEntry>(
    RIGS.map((rigId, i) => [rigId, { townId: TOWN, rigId, name: `rig${i}`, maxPolecats: spec.capacities[i] }]),
  );
  const convoys = new Map<string, ConvoyEntry>();
  spec.convoys.forEach((c, ci) => {
    const convoyId = CONVOYS[ci];
    const view = emptyConvoyView(c.otherTown ? OTHER_TOWN : TOWN, convoyId);
    view.status = c.status;
    const ids = c.beads.map((_, i) => beadIdFor(convoyId, i));
    const readySeq = new Map<string, number>();
    // Only an ACTIVE convoy's beads are ever dispatched (the convoy service refuses it otherwise): a staged convoy's beads are all OPEN.
    const beads = c.status === 'STAGED' ? c.beads.map((b) => ({ ...b, status: 'OPEN' as const })) : c.beads;
    beads.forEach((b, index) => {
      const rigId = RIGS[b.rig];
      const beadView: BeadView = {
        beadId: ids[index],
        index,
        title: `t${index}`,
        body: '',
        rigId,
        dependsOn: b.deps.filter((d) => d < index).map((d) => ids[d]),
        status: b.status,
        ready: b.ready,
        held: b.held,
        attempt: b.status === 'IN_PROGRESS' || b.status === 'IN_REVIEW' ? Math.max(1, b.attempt) : b.attempt,
        agent: b.status === 'IN_PROGRESS' ? polecatOf(rigId, b.agentSlot) : null,
        branch: null,
        baseBranch: null,
        previousReason: null,
        headCommit: null,
        mergeCommit: null,
        mergeClaim: null,
        lastFailureAt: b.failures > 0 ? new Date(T0 - b.failedAgoMs).toISOString() : null,
        submittedAt: null,
        consecutiveFailures: b.failures,
      };
      view.beads.set(ids[index], beadView);
      readySeq.set(ids[index], b.readySeq);
    });
    convoys.set(convoyId, { view, readySeq, landingFailures: 0, held: null });
  });
  // Convoys of the other town share the rigs: enough to check that each town has its own cap.
  return { rigs, convoys, cancellations: new Map() };
}

const dispatchesOf = (actions: Action[]) => actions.filter((a): a is Dispatch => a.kind === 'dispatch');

function inProgress(state: DispatchStateView): BeadView[] {
  return [...state.convoys.values()].flatMap((c) => [...c.view.beads.values()].filter((b) => b.status === 'IN_PROGRESS'));
}

describe('dispatch planner properties', () => {
  it('never plans more agents on a rig than its free polecats, nor more in a town than its cap, even over two passes', () => {
    fc.assert(
      fc.property(worldArb, (spec) => {
        const state = build(spec);
        const limits = { ...LIMITS, maxAgentsPerTown: spec.townCap };
        const first = dispatchesOf(plan(state, T0, NOTHING_DONE, limits));
        // The first pass's commands are on their way: a second pass must count them as taken.
        const second = dispatchesOf(plan(state, T0, { effects: new Set(first.map((d) => d.key)), dispatching: first }, limits));
        const planned = [...first, ...second];
        const working = inProgress(state);
        for (const rig of state.rigs.values()) {
          const busy = working.filter((b) => b.rigId === rig.rigId).length;
          const added = planned.filter((d) => d.rigId === rig.rigId).length;
          expect(added).toBeLessThanOrEqual(Math.max(0, rig.maxPolecats - busy));
        }
        for (const townId of [TOWN, OTHER_TOWN]) {
          const busy = [...state.convoys.values()]
            .filter((c) => c.view.townId === townId)
            .flatMap((c) => [...c.view.beads.values()])
            .filter((b) => b.status === 'IN_PROGRESS').length;
          const added = planned.filter((d) => d.townId === townId).length;
          expect(added).toBeLessThanOrEqual(Math.max(0, spec.townCap - busy));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('with the runners\' slots known, never plans more agents than there are free slots, even over two passes', () => {
    fc.assert(
      fc.property(worldArb, fc.integer({ min: 1, max: 8 }), (spec, agentSlots) => {
        const state = build(spec);
        const limits = { ...LIMITS, maxAgentsPerTown: spec.townCap, agentSlots };
        const first = dispatchesOf(plan(state, T0, NOTHING_DONE, limits));
        const second = dispatchesOf(plan(state, T0, { effects: new Set(first.map((d) => d.key)), dispatching: first }, limits));
        const working = inProgress(state).length;
        expect(first.length + second.length).toBeLessThanOrEqual(Math.max(0, agentSlots - working));
      }),
      { numRuns: 500 },
    );
  });

  it('plans the same dispatches, with the same command ids and polecats, every time it sees the same state', () => {
    fc.assert(
      fc.property(worldArb, (spec) => {
        const once = dispatchesOf(plan(build(spec), T0, NOTHING_DONE, LIMITS));
        const again = dispatchesOf(plan(build(spec), T0, NOTHING_DONE, LIMITS));
        expect(again.map((d) => [d.commandId, d.agent.id])).toEqual(once.map((d) => [d.commandId, d.agent.id]));
        expect(new Set(once.map((d) => d.commandId)).size).toBe(once.length);
      }),
      { numRuns: 500 },
    );
  });

  it('never plans a bead whose blocker is not CLOSED, that is held, not OPEN and ready, or whose convoy is not ACTIVE', () => {
    fc.assert(
      fc.property(worldArb, (spec) => {
        const state = build(spec);
        for (const d of dispatchesOf(plan(state, T0, NOTHING_DONE, LIMITS))) {
          const { view } = state.convoys.get(d.convoyId) as ConvoyEntry;
          const bead = view.beads.get(d.beadId) as BeadView;
          expect(view.status).toBe('ACTIVE');
          expect(bead).toMatchObject({ status: 'OPEN', ready: true, held: false });
          for (const blocker of bead.dependsOn) expect(view.beads.get(blocker)?.status).toBe('CLOSED');
          expect(d.attempt).toBe(bead.attempt + 1);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never gives a polecat that is already at work on the rig a second bead', () => {
    fc.assert(
      fc.property(worldArb, (spec) => {
        const state = build(spec);
        const busy = new Set(inProgress(state).map((b) => b.agent?.id));
        const agents = dispatchesOf(plan(state, T0, NOTHING_DONE, LIMITS)).map((d) => d.agent.id);
        expect(new Set(agents).size).toBe(agents.length);
        for (const agent of agents) expect(busy.has(agent)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
