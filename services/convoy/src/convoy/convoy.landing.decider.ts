import type { ConvoyCommandOf, ConvoyCommandType, NewEvent } from '@gastown/contracts';
import { DomainError } from '../decider/decider.error';
import type { DecideContext } from './convoy.decide-context';
import { clip, listTitles, quote } from './convoy.messages';
import { orderedBeads, REASON_LENGTH, requireCommit, requireExistingConvoy, requireLiveConvoy, requireReason } from './convoy.rules';
import type { ConvoyState } from './convoy.state';

export function startLanding(command: ConvoyCommandOf<'StartLanding'>, state: ConvoyState): NewEvent[] {
  requireLiveConvoy(state, command);
  requireConvoyStatus(state, 'READY_TO_LAND', command.type);
  return [{ type: 'ConvoyLandingStarted', data: { attempt: state.landingAttempt + 1 } }];
}

/** Records one rig's prepared landing; the last rig to be prepared lets the pushes start. */
export function recordRigLandingPrepared(command: ConvoyCommandOf<'RecordRigLandingPrepared'>, state: ConvoyState): NewEvent[] {
  requireLiveConvoy(state, command);
  requireConvoyStatus(state, 'LANDING', command.type);
  requireLandingAttempt(state, command.data.attempt, command.type);
  const { rigId, attempt } = command.data;
  requireLandingRig(state, rigId);
  const targetTip = requireCommit(command.data.targetTip, 'targetTip');
  const tree = requireCommit(command.data.tree, 'tree');
  // A redelivered preparation, or one of a rig that landed meanwhile: the first record stands.
  if (state.landings.has(rigId) || state.landingPreparations.has(rigId)) return [];
  const prepared: NewEvent = { type: 'RigLandingPrepared', data: { rigId, attempt, targetTip, tree } };
  const waiting = [...state.featureBranches.keys()].filter((r) => r !== rigId && !state.landings.has(r) && !state.landingPreparations.has(r));
  return waiting.length > 0 ? [prepared] : [prepared, { type: 'ConvoyLandingPrepared', data: { attempt } }];
}

/**
 * The fence of every landing push, as ClaimMergePush is for bead merges: decided on the convoy's
 * latest sequence, so it and CloseConvoy are ordered. Granted while the convoy is landing and the
 * rig is prepared; once the convoy is closed, the push must not happen and the history says so.
 */
export function claimLandingPush(command: ConvoyCommandOf<'ClaimLandingPush'>, state: ConvoyState, ctx: DecideContext): NewEvent[] {
  const commit = requireCommit(command.data.commit, 'commit');
  const { rigId, attempt } = command.data;
  if (state.status !== 'CANCELLED') {
    requireLiveConvoy(state, command);
    requireConvoyStatus(state, 'LANDING', command.type);
    requireLandingAttempt(state, attempt, command.type);
    requireLandingRig(state, rigId);
    requireUnlandedRig(state, rigId, command.type);
    if (!state.landingPrepared || !state.landingPreparations.has(rigId)) {
      throw DomainError.conflict(`${command.type} needs every rig of convoy ${quote(state.title)} prepared for landing attempt ${attempt}`, { rigId, attempt });
    }
    if (state.landingClaims.get(rigId) === commit) return [];
    const rig = ctx.rigs.get(rigId);
    if (!rig) throw DomainError.notFound(`rig ${rigId} is not registered in this town`, { rigId });
    return [{ type: 'RigLandingClaimed', data: { rigId, attempt, commit, targetBranch: rig.defaultBranch } }];
  }
  requireExistingConvoy(state, command);
  requireLandingAttempt(state, attempt, command.type);
  requireLandingRig(state, rigId);
  requireUnlandedRig(state, rigId, command.type);
  // Granted before the close and asked again (a lost reply): still granted.
  if (state.landingClaims.get(rigId) === commit) return [];
  if (state.landingAborts.has(rigId)) return [];
  // Closed before this push was claimed, or a claimed push that failed and this is a new merge.
  return [{ type: 'RigLandingAborted', data: { rigId, attempt, reason: closedBeforeLanding(state) } }];
}

export function recordRigLanded(command: ConvoyCommandOf<'RecordRigLanded'>, state: ConvoyState, ctx: DecideContext): NewEvent[] {
  const { rigId } = command.data;
  const commit = requireCommit(command.data.commit, 'commit');
  if (state.status !== 'CANCELLED') {
    requireLiveConvoy(state, command);
    requireConvoyStatus(state, 'LANDING', command.type);
    requireLandingAttempt(state, command.data.attempt, command.type);
  } else if (state.landings.get(rigId) !== commit) {
    // A push granted before the close: what git accepted is recorded, never left silent.
    requireClaimedLandingAfterClose(state, command, rigId);
  }
  requireLandingRig(state, rigId);
  const rig = ctx.rigs.get(rigId);
  if (!rig) throw DomainError.notFound(`rig ${rigId} is not registered in this town`, { rigId });
  const landed = state.landings.get(rigId);
  if (landed === commit) return [];
  if (landed) {
    throw DomainError.conflict(`rig ${quote(rig.name)} already landed attempt ${state.landingAttempt} at ${landed}`, {
      rigId,
      commit: landed,
    });
  }
  return [{ type: 'RigLanded', data: { rigId, commit, targetBranch: rig.defaultBranch } }];
}

export function failLanding(command: ConvoyCommandOf<'FailLanding'>, state: ConvoyState, ctx: DecideContext): NewEvent[] {
  if (state.status === 'CANCELLED') {
    // The claimed push did not land after the close: no landing attempt follows, the landing is recorded as aborted.
    const rigId = requireClaimedLandingAfterClose(state, command, command.data.rigId ?? null);
    const why = requireReason(command.data.reason);
    return [{ type: 'RigLandingAborted', data: { rigId, attempt: command.data.attempt, reason: clip(`${closedBeforeLanding(state)}: ${why}`, REASON_LENGTH) } }];
  }
  requireLiveConvoy(state, command);
  requireConvoyStatus(state, 'LANDING', command.type);
  requireLandingAttempt(state, command.data.attempt, command.type);
  const rigId = command.data.rigId ?? null;
  if (rigId !== null) requireLandingRig(state, rigId);
  const reason = requireReason(command.data.reason);
  const used = state.landingAttempt - state.landingBudgetStart;
  const failed: NewEvent = { type: 'ConvoyLandingFailed', data: { attempt: state.landingAttempt, reason, rigId } };
  if (used < state.maxLandingAttempts) return [failed];
  const landed = [...state.featureBranches.keys()].filter((r) => state.landings.has(r));
  // A half-landed convoy says so: which rigs hold the landing and that retryLanding lands the rest.
  const half = landed.length > 0 ? ` (landed on ${listTitles(landed.map((r) => ctx.rigs.get(r)?.name ?? r))}; retryLanding lands the rest)` : '';
  return [
    failed,
    {
      type: 'ConvoyFailed',
      data: { reason: clip(`landing failed on attempt ${used} of ${state.maxLandingAttempts}: ${reason}${half}`), failedBeadIds: [] },
    },
  ];
}

/** Lands the rigs not yet landed again, with a fresh budget, once the cause of the failure is fixed. */
export function retryLanding(command: ConvoyCommandOf<'RetryLanding'>, state: ConvoyState): NewEvent[] {
  requireExistingConvoy(state, command);
  const title = quote(state.title);
  if (state.mergeMode !== 'REVIEW_THEN_LAND') {
    throw DomainError.badInput(`convoy ${title} is REVIEW_AND_MERGE: its beads merge straight to the default branch, there is no landing to retry`, {
      mergeMode: state.mergeMode,
    });
  }
  if (state.status !== 'FAILED') {
    const why =
      state.status === 'LANDED' ? 'it already LANDED on every rig'
      : state.status === 'LANDING' || state.status === 'READY_TO_LAND' ? `it is ${state.status}: its landing is under way`
      : `it is ${state.status}`;
    throw DomainError.conflict(`retryLanding needs a convoy whose landing FAILED; convoy ${title}: ${why}`, { status: state.status });
  }
  const unclosed = orderedBeads(state).filter((b) => b.status !== 'CLOSED');
  if (unclosed.length > 0) {
    throw DomainError.conflict(
      `retryLanding needs a convoy whose landing FAILED; convoy ${title} failed because beads ${listTitles(unclosed.map((b) => b.title))} are not CLOSED (retryBead them instead)`,
      { status: state.status },
    );
  }
  return [{ type: 'ConvoyReactivated', data: { status: 'READY_TO_LAND' } }];
}

const closedBeforeLanding = (state: ConvoyState) => `convoy ${quote(state.title)} was closed before this landing was pushed`;

function requireUnlandedRig(state: ConvoyState, rigId: string, commandType: ConvoyCommandType): void {
  const landed = state.landings.get(rigId);
  if (landed) throw DomainError.conflict(`${commandType}: rig ${rigId} of convoy ${quote(state.title)} already landed at ${landed}`, { rigId, commit: landed });
}

/** In a closed convoy only a rig whose landing push was granted before the close may still report its outcome. */
function requireClaimedLandingAfterClose(state: ConvoyState, command: ConvoyCommandOf<'RecordRigLanded' | 'FailLanding'>, rigId: string | null): string {
  requireExistingConvoy(state, command);
  requireLandingAttempt(state, command.data.attempt, command.type);
  if (rigId === null || !state.landingClaims.has(rigId)) {
    throw DomainError.conflict(
      `convoy ${quote(state.title)} is CANCELLED and ${rigId === null ? 'this landing failure names no rig' : `rig ${rigId} had no landing push under way when it was closed`}: it accepts no ${command.type}`,
      { status: state.status, rigId },
    );
  }
  return rigId;
}

function requireLandingRig(state: ConvoyState, rigId: string): void {
  if (!state.featureBranches.has(rigId)) {
    throw DomainError.notFound(`rig ${rigId} is not one of the rigs convoy ${quote(state.title)} lands on`, { rigId });
  }
}

function requireConvoyStatus(state: ConvoyState, status: string, commandType: ConvoyCommandType): void {
  if (state.status !== status) {
    throw DomainError.conflict(`${commandType} needs convoy ${quote(state.title)} ${status} (it is ${state.status})`, {
      status: state.status,
    });
  }
}

function requireLandingAttempt(state: ConvoyState, attempt: number, commandType: ConvoyCommandType): void {
  if (attempt !== state.landingAttempt) {
    throw DomainError.conflict(
      `${commandType} names landing attempt ${attempt} of convoy ${quote(state.title)}, but attempt ${state.landingAttempt} is under way`,
      { attempt, currentAttempt: state.landingAttempt },
    );
  }
}
