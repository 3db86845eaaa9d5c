import fc from 'fast-check';
import type { ConvoyCommand, GastownEvent } from '@gastown/contracts';
import { emptyConvoyView, applyToView, type ConvoyView } from '@gastown/convoy-view';
import { DomainError } from '../decider/decider.error';
import { envelope } from '../decider/decider.specification';
import { decide, evolve, initialState, type ConvoyState } from './convoy.decider';
import { dagPlan, FENCE_OPS, interpret, limits, OPS, stepOf } from './convoy.decider.arbitrary';
import { close, CONVOY_ID, slingBatch, TOWN_ID } from './convoy.decider.fixture';

/**
 * What the convoy service decides on and what the dispatcher and the git-runners act on, side by
 * side: the same events folded by evolve and by applyToView must tell the same life.
 */
function lifeInState(state: ConvoyState) {
  return {
    status: state.status,
    beads: state.beadOrder.map((id) => {
      const bead = state.beads.get(id);
      return { id, status: bead?.status, attempt: bead?.attempt, mergeClaim: bead?.mergeClaim };
    }),
    landingAttempt: state.landingAttempt,
    landings: new Map(state.landings),
    landingPreparations: new Map(state.landingPreparations),
    landingPrepared: state.landingPrepared,
    landingClaims: new Map(state.landingClaims),
  };
}

function lifeInView(view: ConvoyView) {
  return {
    status: view.status,
    beads: [...view.beads.values()]
      .sort((a, b) => a.index - b.index)
      .map((b) => ({ id: b.beadId, status: b.status, attempt: b.attempt, mergeClaim: b.mergeClaim })),
    landingAttempt: view.landingAttempt,
    landings: new Map(view.landings),
    landingPreparations: new Map(view.landingPreparations),
    landingPrepared: view.landingPrepared,
    landingClaims: new Map(view.landingClaims),
  };
}

const isClaim = (event: GastownEvent) => event.type === 'BeadMergeClaimed' || event.type === 'RigLandingClaimed';

describe('bead and convoy life cycle across the folds', () => {
  it('property: over random command runs, after every event the decider state and the execution view agree on every status, claim and landing', () => {
    fc.assert(
      fc.property(
        // Small plans, so that many runs get as far as landing.
        dagPlan(3),
        fc.record({
          mergeMode: fc.constantFrom('REVIEW_THEN_LAND' as const, 'REVIEW_AND_MERGE' as const),
          staged: fc.boolean(),
        }),
        // Landing through preparations and claims rather than straight pushes.
        fc.array(stepOf({ ...OPS, ...FENCE_OPS, rigLanded: 1, prepareLanding: 5, claimLanding: 6, failRigLanding: 2 }), {
          minLength: 40,
          maxLength: 200,
          size: 'max',
        }),
        // The convoy is closed at some step, or right as a merge or a landing push is claimed: that claim's outcome comes after the close.
        fc.oneof(fc.record({ atStep: fc.nat(200) }), fc.record({ afterClaim: fc.nat(2) })),
        (tasks, options, steps, closing) => {
          const state = initialState();
          const view = emptyConvoyView(TOWN_ID, CONVOY_ID);
          let claims = 0;
          const run = (c: ConvoyCommand) => {
            let events: GastownEvent[];
            try {
              events = envelope(decide(c, state, limits).events, c);
            } catch (error) {
              expect(error).toBeInstanceOf(DomainError);
              return;
            }
            for (const event of events) {
              evolve(state, event);
              applyToView(view, event);
              if (isClaim(event)) claims++;
              expect({ after: event.type, ...lifeInView(view) }).toEqual({ after: event.type, ...lifeInState(state) });
            }
            // Readiness is derived within a decision (a cancelled bead leaves the ready set with the events after it): whole commits agree.
            expect(new Set([...view.beads.values()].filter((b) => b.ready).map((b) => b.beadId))).toEqual(state.ready);
          };

          run(slingBatch(tasks, { ...options, parallel: true }));
          steps.forEach((s, i) => {
            const claimsBefore = claims;
            const c = interpret(s, state);
            if (c) run(c);
            const closeNow = 'atStep' in closing ? i === closing.atStep : claimsBefore === closing.afterClaim && claims > claimsBefore;
            if (closeNow) run(close(`closing at step ${i}`));
          });
        },
      ),
      { numRuns: 500 },
    );
  });
});
