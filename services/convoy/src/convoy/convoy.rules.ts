import { storableText, TEXT_LIMITS, type BeadStatus, type ConvoyCommand, type ConvoyCommandOf, type ConvoyCommandType } from '@gastown/contracts';
import { DomainError, rejectInput } from '../decider/decider.error';
import { quote } from './convoy.messages';
import type { BeadState, ConvoyState } from './convoy.state';

// What more than one family of commands checks; a rule of one family stays beside its decider.

export const REASON_LENGTH = TEXT_LIMITS.reason;
const COMMIT = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

export function requireExistingConvoy(state: ConvoyState, command: ConvoyCommand): void {
  if (!state.exists || state.townId !== command.townId) {
    throw DomainError.notFound(`convoy ${command.convoyId} does not exist`, { convoyId: command.convoyId });
  }
}

/** The convoy exists and still accepts commands: LANDED and CANCELLED are final. */
export function requireLiveConvoy(state: ConvoyState, command: ConvoyCommand): void {
  requireExistingConvoy(state, command);
  if (state.status === 'LANDED' || state.status === 'CANCELLED') {
    throw DomainError.conflict(`convoy ${quote(state.title)} is ${state.status}: it accepts no ${command.type}`, {
      status: state.status,
    });
  }
}

export function requireBead(state: ConvoyState, beadId: string): BeadState {
  const bead = state.beads.get(beadId);
  if (!bead) throw DomainError.notFound(`bead ${beadId} is not part of convoy ${quote(state.title)}`, { beadId });
  return bead;
}

export function requireStatus(bead: BeadState, allowed: readonly BeadStatus[], commandType: ConvoyCommandType): void {
  if (!allowed.includes(bead.status)) {
    throw DomainError.conflict(`bead ${quote(bead.title)} is ${bead.status}: ${commandType} needs it ${allowed.join(' or ')}`, {
      beadId: bead.beadId,
      status: bead.status,
    });
  }
}

type AttemptCommand = ConvoyCommandOf<
  'MarkBeadStarted' | 'SubmitBead' | 'RecordBeadMerged' | 'ClaimMergePush' | 'RequestRework' | 'FailBeadAttempt' | 'ReportAgentLost' | 'InterruptBeadAttempt'
>;

/** The bead a report is about, on the attempt the report names and in a status that accepts it. */
export function requireAttemptBead(state: ConvoyState, command: AttemptCommand, allowed: readonly BeadStatus[]): BeadState {
  requireLiveConvoy(state, command);
  const bead = requireAttemptOf(state, command);
  requireStatus(bead, allowed, command.type);
  return bead;
}

export function requireAttemptOf(state: ConvoyState, command: AttemptCommand): BeadState {
  const bead = requireBead(state, command.data.beadId);
  if (command.data.attempt !== bead.attempt) {
    const current = bead.attempt === 0 ? 'it has not been dispatched yet' : `it is on attempt ${bead.attempt}`;
    throw DomainError.conflict(
      `${command.type} for bead ${quote(bead.title)} names attempt ${command.data.attempt}, but ${current}: a stale report is ignored`,
      { beadId: bead.beadId, attempt: command.data.attempt, currentAttempt: bead.attempt },
    );
  }
  return bead;
}

/**
 * Interruptions of one budget that are not charged. A rolling restart interrupts a bead once per
 * runner it meets; a bead interrupted more often than this sits on runners that keep stopping
 * under it (a crash loop, or an agent that brings its runner down), and without a bound it would
 * be dispatched for ever. Past it, an interruption counts like any lost attempt.
 */
export const FREE_INTERRUPTIONS = 5;

/**
 * The attempts since the bead was created or last retried have reached the convoy's allowance;
 * attempts a draining runner interrupted are not counted, up to FREE_INTERRUPTIONS of them.
 */
export const budgetSpent = (state: ConvoyState, bead: BeadState) =>
  bead.attempt - bead.budgetStart - Math.min(bead.interrupted, FREE_INTERRUPTIONS) >= state.maxAttempts;

/**
 * Reasons mostly come from services and carry agent or git output, which may hold anything:
 * made storable rather than refused, so a failure is never lost over one bad byte.
 */
export function requireReason(value: string): string {
  const reason = storableText(value.trim());
  if (reason === '') throw rejectInput([{ path: ['reason'], value, message: 'reason must not be empty' }]);
  if (reason.length > REASON_LENGTH) {
    throw rejectInput([
      { path: ['reason'], value: reason.length, message: `reason must be at most ${REASON_LENGTH} characters (it has ${reason.length})` },
    ]);
  }
  return reason;
}

export function requireCommit(value: string, field: string): string {
  const commit = value.toLowerCase();
  if (!COMMIT.test(commit)) {
    throw rejectInput([{ path: [field], value, message: `${field} ${quote(value)} is not a full commit id (40 hex characters)` }]);
  }
  return commit;
}

export function orderedBeads(state: ConvoyState): BeadState[] {
  return state.beadOrder.map((id) => state.beads.get(id) as BeadState);
}
