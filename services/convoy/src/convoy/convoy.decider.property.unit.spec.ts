import fc from 'fast-check';
import type { ConvoyCommand, GastownEvent, NewEvent } from '@gastown/contracts';
import { waves } from '@gastown/dag';
import { DomainError } from '../decider/decider.error';
import { envelope, expectValidEvents } from '../decider/decider.specification';
import { cloneState, decide, evolve, initialState, progressOf } from './convoy.decider';
import { dagPlan, interpret, limits, OPS, stepOf } from './convoy.decider.arbitrary';
import { bead, ctx, slingBatch } from './convoy.decider.fixture';
import { isValidRefName } from './convoy.naming';

const ofType = <K extends NewEvent['type']>(events: readonly NewEvent[], type: K) =>
  events.filter((e): e is Extract<NewEvent, { type: K }> => e.type === type);

describe('convoy decider properties', () => {
  it('property: random DAG plans are accepted and their waves put every bead after its blockers', () => {
    fc.assert(
      fc.property(dagPlan(60), fc.constantFrom('REVIEW_THEN_LAND' as const, 'REVIEW_AND_MERGE' as const), (tasks, mergeMode) => {
        const { events } = decide(slingBatch(tasks, { parallel: true, mergeMode }), initialState(), ctx);
        expectValidEvents(events);
        const created = ofType(events, 'BeadCreated');
        const indexOf = new Map(created.map((e) => [e.data.beadId, e.data.index]));
        expect(indexOf.size).toBe(tasks.length);
        const deps = created.map((e) => e.data.dependsOn.map((id) => indexOf.get(id) as number));
        expect(deps.map((ds) => [...ds].sort())).toEqual(tasks.map((t) => [...new Set(t.dependsOn)].sort()));

        const waveOf = new Map<number, number>();
        waves(deps).forEach((wave, k) => wave.forEach((node) => waveOf.set(node, k)));
        deps.forEach((ds, node) => ds.forEach((d) => expect(waveOf.get(node)).toBeGreaterThan(waveOf.get(d) as number)));
        const firstWave = [...waveOf].filter(([, k]) => k === 0).map(([node]) => bead(node));
        expect(ofType(events, 'BeadsBecameReady')[0].data.beadIds.sort()).toEqual(firstWave.sort());

        const convoy = ofType(events, 'ConvoyCreated')[0].data;
        expect(convoy.featureBranches.every((f) => isValidRefName(f.branch))).toBe(true);
        expect(convoy.featureBranches.map((f) => f.rigId).sort()).toEqual(
          mergeMode === 'REVIEW_THEN_LAND' ? [...new Set(tasks.map((t) => t.rigId))].sort() : [],
        );
      }),
    );
  });

  it('property: a plan with a planted cycle is refused and the reported cycle is real', () => {
    fc.assert(
      fc.property(dagPlan(60), fc.nat(), fc.nat(), (tasks, start, turn) => {
        fc.pre(tasks.length >= 2);
        const planted = tasks.map((t) => ({ ...t, dependsOn: [...(t.dependsOn ?? [])] }));
        // Walk down from a task to a task without blockers, then make that one wait for the first.
        const from = start % tasks.length;
        let at = from;
        for (let step = turn; planted[at].dependsOn.length > 0; step = Math.floor(step / 3) + 1) {
          at = planted[at].dependsOn[step % planted[at].dependsOn.length];
        }
        if (at === from) {
          const other = (from + 1) % tasks.length;
          planted[other].dependsOn.push(from);
          planted[from].dependsOn.push(other);
        } else {
          planted[at].dependsOn.push(from);
        }

        let thrown: unknown;
        try {
          decide(slingBatch(planted, { parallel: true }), initialState(), ctx);
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(DomainError);
        const error = thrown as DomainError;
        expect(error.code).toBe('BAD_USER_INPUT');
        const cycle = error.details?.['cycle'] as { index: number; title: string }[];
        expect(cycle.length).toBeGreaterThanOrEqual(3);
        expect(cycle[0]).toEqual(cycle[cycle.length - 1]);
        for (let i = 0; i + 1 < cycle.length; i++) {
          expect(planted[cycle[i].index].dependsOn).toContain(cycle[i + 1].index);
          expect(cycle[i].title).toBe(planted[cycle[i].index].title);
        }
        expect(error.message).toMatch(/^tasks \d+( → \d+)+ form a cycle: /);
      }),
    );
  });

  it('property: over random command runs, repeats are free, progress matches a recount and the rules hold', () => {
    fc.assert(
      fc.property(
        dagPlan(10),
        fc.record({
          mergeMode: fc.constantFrom('REVIEW_THEN_LAND' as const, 'REVIEW_AND_MERGE' as const),
          staged: fc.boolean(),
        }),
        fc.array(stepOf(OPS), { minLength: 40, maxLength: 160, size: 'max' }),
        (tasks, options, steps) => {
          const state = initialState();
          const log: GastownEvent[] = [];
          const run = (c: ConvoyCommand) => {
            const before = cloneState(state);
            let decision;
            try {
              decision = decide(c, state, limits);
            } catch (error) {
              expect(error).toBeInstanceOf(DomainError);
              expect(state).toEqual(before);
              return;
            }
            expect(state).toEqual(before);
            expectValidEvents(decision.events);
            const stored = envelope(decision.events, c);
            stored.forEach((e) => evolve(state, e));
            log.push(...stored);

            const again = decide(c, state, limits);
            if (decision.events.length > 0) {
              expect(again).toEqual({ events: [], duplicate: true, result: decision.result });
            } else {
              expect(again.events).toEqual([]);
            }
            const model = recount(log);
            expect(progressOf(state)).toEqual(model.progress);
            expect(new Set(state.held.keys())).toEqual(model.held);
            expect(state.ready).toEqual(model.ready);
            expect(model.dispatchedWhileBlocked).toEqual([]);
          };

          run(slingBatch(tasks, { ...options, parallel: true }));
          for (const s of steps) {
            const c = interpret(s, state);
            if (c) run(c);
          }
          // The decision that lands or cancels may still cancel beads; no later decision writes anything.
          const terminal = log.find((e) => e.type === 'ConvoyLanded' || e.type === 'ConvoyCancelled');
          if (terminal) expect(log.slice(log.indexOf(terminal)).every((e) => e.commandId === terminal.commandId)).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });
});

/**
 * What the events say, recounted without the decider's code: statuses and edges folded
 * naively, holds and readiness found by brute-force search.
 */
function recount(events: readonly GastownEvent[]) {
  const status = new Map<string, string>();
  const blockers = new Map<string, Set<string>>();
  const dispatchedWhileBlocked: string[] = [];
  let convoy = '';
  for (const e of events) {
    switch (e.type) {
      case 'ConvoyCreated':
        convoy = e.data.staged ? 'STAGED' : 'ACTIVE';
        break;
      case 'ConvoyStarted':
      case 'ConvoyReactivated':
        convoy = e.type === 'ConvoyStarted' ? 'ACTIVE' : e.data.status;
        break;
      case 'ConvoyFailed':
        convoy = 'FAILED';
        break;
      case 'ConvoyReadyToLand':
      case 'ConvoyLandingFailed':
        convoy = 'READY_TO_LAND';
        break;
      case 'ConvoyLandingStarted':
        convoy = 'LANDING';
        break;
      case 'ConvoyLanded':
        convoy = 'LANDED';
        break;
      case 'ConvoyCancelled':
        convoy = 'CANCELLED';
        break;
      case 'BeadCreated':
        status.set(e.data.beadId, 'OPEN');
        blockers.set(e.data.beadId, new Set(e.data.dependsOn));
        break;
      case 'DependencyAdded':
        blockers.get(e.data.beadId)?.add(e.data.dependsOnBeadId);
        break;
      case 'DependencyRemoved':
        blockers.get(e.data.beadId)?.delete(e.data.dependsOnBeadId);
        break;
      case 'BeadDispatched':
        if ([...(blockers.get(e.data.beadId) ?? [])].some((b) => status.get(b) !== 'CLOSED')) {
          dispatchedWhileBlocked.push(e.data.beadId);
        }
        status.set(e.data.beadId, 'IN_PROGRESS');
        break;
      case 'BeadSubmitted':
        status.set(e.data.beadId, 'IN_REVIEW');
        break;
      case 'BeadMerged':
        status.set(e.data.beadId, 'CLOSED');
        break;
      case 'BeadReworkRequested':
      case 'BeadAttemptFailed':
      case 'BeadAgentLost':
      case 'BeadRetried':
        status.set(e.data.beadId, 'OPEN');
        break;
      case 'BeadFailed':
        status.set(e.data.beadId, 'FAILED');
        break;
      case 'BeadCancelled':
        status.set(e.data.beadId, 'CANCELLED');
        break;
    }
  }
  const upstreamOf = (id: string): Set<string> => {
    const seen = new Set<string>();
    const stack = [...(blockers.get(id) ?? [])];
    while (stack.length > 0) {
      const next = stack.pop() as string;
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(...(blockers.get(next) ?? []));
      }
    }
    return seen;
  };
  const held = new Set<string>();
  const ready = new Set<string>();
  for (const [id, s] of status) {
    if (s !== 'OPEN') continue;
    if ([...upstreamOf(id)].some((u) => status.get(u) === 'FAILED' || status.get(u) === 'CANCELLED')) held.add(id);
    if (convoy === 'ACTIVE' && [...(blockers.get(id) ?? [])].every((b) => status.get(b) === 'CLOSED')) ready.add(id);
  }
  const count = (s: string) => [...status.values()].filter((x) => x === s).length;
  return {
    held,
    ready,
    dispatchedWhileBlocked,
    progress: {
      total: status.size,
      open: count('OPEN') - held.size,
      inProgress: count('IN_PROGRESS'),
      inReview: count('IN_REVIEW'),
      closed: count('CLOSED'),
      failed: count('FAILED'),
      cancelled: count('CANCELLED'),
      blocked: held.size,
    },
  };
}
