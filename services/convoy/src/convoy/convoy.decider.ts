import { unstoredEnvelopes, type ConvoyCommand, type NewEvent } from '@gastown/contracts';
import type { Decision } from '../decider/decider.decision';
import type { DecideContext } from './convoy.decide-context';
import {
  dispatchBead,
  failBeadAttempt,
  interruptBeadAttempt,
  markBeadStarted,
  reportAgentLost,
  retryBead,
  submitBead,
} from './convoy.attempt.decider';
import {
  claimLandingPush,
  failLanding,
  recordRigLanded,
  recordRigLandingPrepared,
  retryLanding,
  startLanding,
} from './convoy.landing.decider';
import { batchClaimed, claimBatchPush, endMergeBatch, recordMergeBatchCheck, startMergeBatch } from './convoy.batch.decider';
import { closeConvoy } from './convoy.close.decider';
import { claimMergePush, recordBeadMerged, requestRework } from './convoy.merge.decider';
import { addTasks, editDependency, sling, slingBatch, startConvoy } from './convoy.plan.decider';
import { deriveBeadEvents, deriveReactivation, deriveStatusEvents } from './convoy.readiness';
import { cloneState, evolve, type ConvoyState } from './convoy.state';

export type { Decision } from '../decider/decider.decision';
export { createDecideContext, DEFAULT_LIMITS, type DecideContext, type RigInfo } from './convoy.decide-context';
export { progressOf, type ConvoyProgress } from './convoy.progress';
export { cloneState, evolve, initialState, type BeadState, type ConvoyState } from './convoy.state';

/**
 * Decides a command against the state of its convoy. The command's own events come first,
 * then the events derived by comparing the state before and after them: readiness and holds
 * of beads, then the convoy's status. Throws DomainError; never touches `state`.
 */
export function decide(command: ConvoyCommand, state: ConvoyState, ctx: DecideContext): Decision {
  if (state.handledCommands.has(command.commandId)) {
    return { events: [], result: resultOf(command, state), duplicate: true };
  }
  const primary = decidePrimary(command, state, ctx);
  if (primary.length === 0) return { events: [], result: resultOf(command, state), duplicate: false };

  const next = cloneState(state);
  const apply = (events: NewEvent[]) => {
    for (const event of unstoredEnvelopes(events, command, ctx.now)) evolve(next, event);
    return events;
  };
  apply(primary);
  // A reactivated convoy is ACTIVE before readiness is judged, though its event is written last.
  const reactivation = apply(deriveReactivation(next));
  const beadEvents = apply(deriveBeadEvents(next));
  const statusEvents = apply(deriveStatusEvents(next));
  return {
    events: [...primary, ...beadEvents, ...reactivation, ...statusEvents],
    result: resultOf(command, next),
    duplicate: false,
  };
}

/** Routes each command to the rule of its family; a command type left unrouted does not compile. */
function decidePrimary(command: ConvoyCommand, state: ConvoyState, ctx: DecideContext): NewEvent[] {
  switch (command.type) {
    case 'SlingBatch':
      return slingBatch(command, state, ctx);
    case 'Sling':
      return sling(command, state, ctx);
    case 'AddTasks':
      return addTasks(command, state, ctx);
    case 'AddDependency':
    case 'RemoveDependency':
      return editDependency(command, state, ctx);
    case 'StartConvoy':
      return startConvoy(command, state);
    case 'CloseConvoy':
      return closeConvoy(command, state);
    case 'DispatchBead':
      return dispatchBead(command, state, ctx);
    case 'MarkBeadStarted':
      return markBeadStarted(command, state);
    case 'SubmitBead':
      return submitBead(command, state);
    case 'FailBeadAttempt':
      return failBeadAttempt(command, state);
    case 'ReportAgentLost':
      return reportAgentLost(command, state);
    case 'InterruptBeadAttempt':
      return interruptBeadAttempt(command, state);
    case 'RetryBead':
      return retryBead(command, state);
    case 'ClaimMergePush':
      return claimMergePush(command, state);
    case 'StartMergeBatch':
      return startMergeBatch(command, state);
    case 'RecordMergeBatchCheck':
      return recordMergeBatchCheck(command, state);
    case 'EndMergeBatch':
      return endMergeBatch(command, state);
    case 'ClaimBatchPush':
      return claimBatchPush(command, state);
    case 'RecordBeadMerged':
      return recordBeadMerged(command, state);
    case 'RequestRework':
      return requestRework(command, state);
    case 'StartLanding':
      return startLanding(command, state);
    case 'RecordRigLandingPrepared':
      return recordRigLandingPrepared(command, state);
    case 'ClaimLandingPush':
      return claimLandingPush(command, state, ctx);
    case 'RecordRigLanded':
      return recordRigLanded(command, state, ctx);
    case 'FailLanding':
      return failLanding(command, state, ctx);
    case 'RetryLanding':
      return retryLanding(command, state);
  }
}

/** What the caller gets back; computed from the state so a repeated command gets the same answer. */
function resultOf(command: ConvoyCommand, state: ConvoyState): Record<string, unknown> {
  const convoyId = command.convoyId;
  switch (command.type) {
    case 'SlingBatch':
    case 'Sling':
    case 'AddTasks':
      return { convoyId, beadIds: state.beadOrder.filter((id) => state.beads.get(id)?.createdBy === command.commandId) };
    case 'DispatchBead': {
      const dispatch = state.dispatches.get(command.commandId);
      return {
        convoyId,
        beadId: command.data.beadId,
        attempt: dispatch?.attempt ?? null,
        branch: dispatch?.branch ?? null,
        baseBranch: dispatch?.baseBranch ?? null,
      };
    }
    case 'StartLanding':
      return { convoyId, convoyStatus: state.status, landingAttempt: state.landingAttempt };
    case 'CloseConvoy':
      return { convoyId, convoyStatus: state.status, mergesUnderWay: state.mergesUnderWayAtClose, landingsUnderWay: state.landingsUnderWayAtClose };
    case 'ClaimMergePush': {
      const bead = state.beads.get(command.data.beadId);
      const claimed = bead?.status === 'IN_REVIEW' && bead.mergeClaim === command.data.mergeCommit.toLowerCase();
      return { convoyId, beadId: command.data.beadId, claimed, beadStatus: bead?.status ?? null, convoyStatus: state.status };
    }
    case 'ClaimBatchPush':
      return { convoyId, batchId: command.data.batchId, claimed: batchClaimed(state, command.data.batchId, command.data.beadCount), convoyStatus: state.status };
    case 'StartMergeBatch':
    case 'RecordMergeBatchCheck':
    case 'EndMergeBatch':
      return { convoyId, batchId: command.data.batchId, convoyStatus: state.status };
    case 'ClaimLandingPush': {
      const claimed = state.landingAttempt === command.data.attempt && state.landingClaims.get(command.data.rigId) === command.data.commit.toLowerCase();
      return { convoyId, rigId: command.data.rigId, claimed, convoyStatus: state.status };
    }
    case 'StartConvoy':
    case 'RecordRigLandingPrepared':
    case 'RecordRigLanded':
    case 'FailLanding':
    case 'RetryLanding':
      return { convoyId, convoyStatus: state.status };
    case 'AddDependency':
    case 'RemoveDependency':
    case 'RetryBead':
    case 'MarkBeadStarted':
    case 'SubmitBead':
    case 'RecordBeadMerged':
    case 'RequestRework':
    case 'FailBeadAttempt':
    case 'ReportAgentLost':
    case 'InterruptBeadAttempt':
      return {
        convoyId,
        beadId: command.data.beadId,
        beadStatus: state.beads.get(command.data.beadId)?.status ?? null,
        convoyStatus: state.status,
      };
  }
}
