import type { AttemptOutcome, BeadStatus, ConvoyStatus, HistoryEvent } from '../gateway/gateway.types';

/** A bead on the other end of a dependency: it may live on another rig. */
export interface BeadLink {
  id: string;
  title: string;
  status: BeadStatus;
  blocked: boolean;
  convoyId: string;
  rigId: string;
  rig: { name: string };
}

export interface BeadAttempt {
  number: number;
  agentName: string;
  agentId: string;
  branch: string;
  dispatchedAt: string;
  startedAt: string | null;
  endedAt: string | null;
  outcome: AttemptOutcome;
  exitCode: number | null;
  reason: string | null;
  headCommit: string | null;
  outputTail: string | null;
}

export type BeadEvent = Pick<HistoryEvent, 'sequence' | 'index' | 'type' | 'occurredAt' | 'summary' | 'actor'>;

export interface BeadDetail {
  id: string;
  index: number;
  title: string;
  body: string;
  status: BeadStatus;
  blocked: boolean;
  blockedReason: string | null;
  assignee: string | null;
  branch: string | null;
  headCommit: string | null;
  mergeCommit: string | null;
  lastReason: string | null;
  attemptCount: number;
  createdAt: string;
  closedAt: string | null;
  convoyId: string;
  convoy: { id: string; title: string; status: ConvoyStatus };
  rigId: string;
  rig: { id: string; name: string };
  blockedBy: BeadLink[];
  blocks: BeadLink[];
  /** Oldest first, as the API gives them. */
  attempts: BeadAttempt[];
}

/** Attempt outcomes have no chip colours of their own; each borrows the bead state it resembles. */
export const OUTCOME_STATE: Record<AttemptOutcome, string> = {
  RUNNING: 'IN_PROGRESS',
  SUBMITTED: 'IN_REVIEW',
  MERGED: 'CLOSED',
  REWORK: 'BLOCKED',
  FAILED: 'FAILED',
  LOST: 'FAILED',
  // Not the bead's failure: its runner stopped, and the bead went back to wait for another.
  INTERRUPTED: 'OPEN',
  CANCELLED: 'CANCELLED',
};
