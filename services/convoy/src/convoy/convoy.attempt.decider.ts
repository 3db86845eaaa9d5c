import { redactAgentResult, type AgentResult, type ConvoyCommandOf, type NewEvent } from '@gastown/contracts';
import { DomainError, rejectInput } from '../decider/decider.error';
import type { DecideContext } from './convoy.decide-context';
import { quote } from './convoy.messages';
import { beadBranchName } from './convoy.naming';
import { holdReason, openBlockers } from './convoy.readiness';
import { budgetSpent, FREE_INTERRUPTIONS, REASON_LENGTH, requireAttemptBead, requireBead, requireCommit, requireLiveConvoy, requireReason, requireStatus } from './convoy.rules';
import type { BeadState, ConvoyState } from './convoy.state';

export function dispatchBead(command: ConvoyCommandOf<'DispatchBead'>, state: ConvoyState, ctx: DecideContext): NewEvent[] {
  requireLiveConvoy(state, command);
  const bead = requireBead(state, command.data.beadId);
  const agent = command.data.agent;
  const blank = (['id', 'name'] as const).filter((field) => agent[field].trim() === '');
  if (blank.length > 0) {
    throw rejectInput(
      blank.map((field) => ({ path: ['agent', field], value: agent[field], message: `agent.${field} must not be empty` })),
    );
  }
  requireStatus(bead, ['OPEN'], command.type);
  const notReady = (why: string, details: Record<string, unknown>) =>
    DomainError.conflict(`bead ${quote(bead.title)} is not ready: ${why}`, { beadId: bead.beadId, ...details });
  if (state.status !== 'ACTIVE') {
    throw notReady(`convoy ${quote(state.title)} is ${state.status}`, { convoyStatus: state.status });
  }
  const heldBy = state.held.get(bead.beadId);
  if (heldBy) throw notReady(holdReason(state, { heldBy: [...heldBy], more: false }), { heldBy });
  const open = openBlockers(state, bead.beadId);
  if (open.length > 0) {
    const shown = open.slice(0, 5).map((b) => `${quote(b.title)} (${b.status})`);
    if (open.length > 5) shown.push(`and ${open.length - 5} more`);
    throw notReady(`its blocker${open.length > 1 ? 's' : ''} ${shown.join(', ')} ${open.length > 1 ? 'are' : 'is'} not closed`, {
      openBlockers: open.map((b) => ({ beadId: b.beadId, title: b.title, status: b.status })),
    });
  }
  const baseBranch =
    state.mergeMode === 'REVIEW_THEN_LAND' ? state.featureBranches.get(bead.rigId) : ctx.rigs.get(bead.rigId)?.defaultBranch;
  if (!baseBranch) {
    throw DomainError.notFound(`rig ${bead.rigId} of bead ${quote(bead.title)} is not registered in this town`, {
      rigId: bead.rigId,
    });
  }
  const convoyId = state.convoyId ?? command.convoyId;
  return [
    {
      type: 'BeadDispatched',
      data: {
        beadId: bead.beadId,
        attempt: bead.attempt + 1,
        agent: { id: agent.id, name: agent.name },
        branch: beadBranchName(state.slug, convoyId, agent.name, bead.beadId),
        baseBranch,
        previousReason: bead.lastReason,
      },
    },
  ];
}

export function markBeadStarted(command: ConvoyCommandOf<'MarkBeadStarted'>, state: ConvoyState): NewEvent[] {
  const bead = requireAttemptBead(state, command, ['IN_PROGRESS']);
  return bead.started ? [] : [{ type: 'BeadStarted', data: { beadId: bead.beadId, attempt: bead.attempt } }];
}

export function submitBead(command: ConvoyCommandOf<'SubmitBead'>, state: ConvoyState): NewEvent[] {
  const bead = requireAttemptBead(state, command, ['IN_PROGRESS']);
  const headCommit = requireCommit(command.data.headCommit, 'headCommit');
  if (command.data.branch !== bead.branch) {
    throw DomainError.badInput(
      `branch ${quote(command.data.branch)} is not the branch bead ${quote(bead.title)} was dispatched on (${quote(bead.branch ?? '')})`,
      { path: ['branch'], value: command.data.branch, expected: bead.branch },
    );
  }
  return [
    {
      type: 'BeadSubmitted',
      data: { beadId: bead.beadId, attempt: bead.attempt, branch: bead.branch, headCommit, agentResult: recordable(command.data.agentResult) },
    },
  ];
}

export function failBeadAttempt(command: ConvoyCommandOf<'FailBeadAttempt'>, state: ConvoyState): NewEvent[] {
  const bead = requireAttemptBead(state, command, ['IN_PROGRESS']);
  const reason = requireReason(command.data.reason);
  const data = { beadId: bead.beadId, attempt: bead.attempt, reason, agentResult: recordable(command.data.agentResult) };
  return command.data.unrecoverable || budgetSpent(state, bead)
    ? [{ type: 'BeadFailed', data }]
    : [{ type: 'BeadAttemptFailed', data }];
}

export function reportAgentLost(command: ConvoyCommandOf<'ReportAgentLost'>, state: ConvoyState): NewEvent[] {
  const bead = requireWorkingAgent(state, command);
  const reason = requireReason(command.data.reason);
  const lost: NewEvent = {
    type: 'BeadAgentLost',
    data: { beadId: bead.beadId, attempt: bead.attempt, agentId: command.data.agentId, reason },
  };
  return budgetSpent(state, bead)
    ? [lost, { type: 'BeadFailed', data: { beadId: bead.beadId, attempt: bead.attempt, reason, agentResult: null } }]
    : [lost];
}

/**
 * Only a git-runner may say it interrupted an attempt (it does so from its drain path alone, never
 * for an agent that ended by itself): anyone else could retry a bead for ever without spending
 * its budget.
 */
export function interruptBeadAttempt(command: ConvoyCommandOf<'InterruptBeadAttempt'>, state: ConvoyState): NewEvent[] {
  if (command.actor.kind !== 'service' || !command.actor.id.startsWith('git-runner:')) {
    throw DomainError.badInput(`only a git-runner may interrupt an attempt; ${command.actor.kind} ${quote(command.actor.id)} may not`, {
      actor: command.actor,
    });
  }
  const bead = requireWorkingAgent(state, command);
  const reason = requireReason(command.data.reason);
  const interrupted: NewEvent = { type: 'BeadAttemptInterrupted', data: { beadId: bead.beadId, attempt: bead.attempt, agentId: command.data.agentId, reason } };
  if (bead.interrupted < FREE_INTERRUPTIONS || !budgetSpent(state, bead)) return [interrupted];
  const failure = `interrupted ${bead.interrupted + 1} times (past ${FREE_INTERRUPTIONS}, an interruption counts against the bead's attempts): ${reason}`.slice(0, REASON_LENGTH);
  return [interrupted, { type: 'BeadFailed', data: { beadId: bead.beadId, attempt: bead.attempt, reason: failure, agentResult: null } }];
}

export function retryBead(command: ConvoyCommandOf<'RetryBead'>, state: ConvoyState): NewEvent[] {
  requireLiveConvoy(state, command);
  const bead = requireBead(state, command.data.beadId);
  requireStatus(bead, ['FAILED'], command.type);
  return [{ type: 'BeadRetried', data: { beadId: bead.beadId } }];
}

/** The bead in progress on the command's attempt, worked on by the agent the command names. */
function requireWorkingAgent(state: ConvoyState, command: ConvoyCommandOf<'ReportAgentLost' | 'InterruptBeadAttempt'>): BeadState {
  const bead = requireAttemptBead(state, command, ['IN_PROGRESS']);
  if (bead.agent?.id !== command.data.agentId) {
    throw DomainError.conflict(
      `agent ${quote(command.data.agentId)} is not working on bead ${quote(bead.title)} (agent ${quote(bead.agent?.id ?? '')} is)`,
      { beadId: bead.beadId, agentId: bead.agent?.id },
    );
  }
  return bead;
}

/** A reported agent result as the event log may keep it; null when the report had none. */
function recordable(result: AgentResult | undefined): AgentResult | null {
  return result ? redactAgentResult(result) : null;
}
