import type { BeadAttempt, BeadDetail, BeadEvent, BeadLink } from './bead.model';

/** Test data: a bead as the gateway returns it, overridable field by field. */
export function beadDetail(overrides: Partial<BeadDetail> = {}): BeadDetail {
  return {
    id: 'b-1',
    index: 0,
    title: 'Add the login form',
    body: 'Build the form.\nValidate the e-mail.',
    status: 'IN_PROGRESS',
    blocked: false,
    blockedReason: null,
    assignee: 'polecat-1',
    branch: 'convoy/c-1/b-1-a1',
    headCommit: null,
    mergeCommit: null,
    lastReason: null,
    attemptCount: 1,
    createdAt: '2026-11-25T10:00:00Z',
    closedAt: null,
    convoyId: 'c-1',
    convoy: { id: 'c-1', title: 'Login', status: 'ACTIVE' },
    rigId: 'r-1',
    rig: { id: 'r-1', name: 'web' },
    blockedBy: [],
    blocks: [],
    attempts: [],
    ...overrides,
  };
}

export function beadLink(id: string, overrides: Partial<BeadLink> = {}): BeadLink {
  return { id, title: `bead ${id}`, status: 'OPEN', blocked: false, convoyId: 'c-1', rigId: 'r-1', rig: { name: 'web' }, ...overrides };
}

export function attempt(number: number, overrides: Partial<BeadAttempt> = {}): BeadAttempt {
  return {
    number,
    agentName: 'polecat-1',
    agentId: 'a-1',
    branch: `convoy/c-1/b-1-a${number}`,
    dispatchedAt: '2026-11-25T10:00:00Z',
    startedAt: '2026-11-25T10:00:02Z',
    endedAt: null,
    outcome: 'RUNNING',
    exitCode: null,
    reason: null,
    headCommit: null,
    outputTail: null,
    ...overrides,
  };
}

export function beadEvent(sequence: number, index = 0, overrides: Partial<BeadEvent> = {}): BeadEvent {
  return {
    sequence,
    index,
    type: 'BeadDispatched',
    occurredAt: '2026-11-25T10:00:00Z',
    summary: `event ${sequence}.${index}`,
    actor: { id: 'dispatcher', kind: 'service' },
    ...overrides,
  };
}
