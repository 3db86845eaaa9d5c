/** The GraphQL enums and shapes the dashboard reads; names as in services/gateway/schema.graphql. */
export type BeadStatus = 'OPEN' | 'IN_PROGRESS' | 'IN_REVIEW' | 'CLOSED' | 'FAILED' | 'CANCELLED';
export type ConvoyStatus = 'STAGED' | 'ACTIVE' | 'READY_TO_LAND' | 'LANDING' | 'LANDED' | 'FAILED' | 'CANCELLED';
export type MergeMode = 'REVIEW_THEN_LAND' | 'REVIEW_AND_MERGE';
export type AttemptOutcome = 'RUNNING' | 'SUBMITTED' | 'MERGED' | 'REWORK' | 'FAILED' | 'LOST' | 'INTERRUPTED' | 'CANCELLED';
export type AgentStatus = 'WORKING' | 'IDLE';

/** What a bead chip shows: OPEN beads held by a failed upstream count as BLOCKED. */
export type BeadState = BeadStatus | 'BLOCKED';

export function beadState(bead: { status: BeadStatus; blocked: boolean }): BeadState {
  return bead.status === 'OPEN' && bead.blocked ? 'BLOCKED' : bead.status;
}

/** Words for people, one per state, used on chips, legends and screen-reader labels. */
export const STATE_LABEL: Record<BeadState | ConvoyStatus, string> = {
  OPEN: 'open',
  IN_PROGRESS: 'in progress',
  IN_REVIEW: 'in review',
  CLOSED: 'closed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  BLOCKED: 'blocked',
  STAGED: 'staged',
  ACTIVE: 'active',
  READY_TO_LAND: 'ready to land',
  LANDING: 'landing',
  LANDED: 'landed',
};

export interface ConvoyProgress {
  total: number;
  open: number;
  blocked: number;
  inProgress: number;
  inReview: number;
  closed: number;
  failed: number;
  cancelled: number;
}

export interface HistoryEvent {
  sequence: number;
  index: number;
  type: string;
  occurredAt: string;
  summary: string;
  beadIds: string[];
  actor: { id: string; kind: string };
}
