import type { AgentSummary, BeadDetail, BeadSummary, ConvoyDetail, ConvoyProgress, RigSummary } from '@gastown/gateway-client';

/** Read models as the gateway returns them, for the specs of pure summaries. */
export const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

export function bead(index: number, title: string, patch: Partial<BeadSummary> = {}): BeadSummary {
  return {
    id: id(100 + index),
    index,
    title,
    status: 'OPEN',
    rigId: id(1),
    ready: false,
    blocked: false,
    blockedReason: null,
    assignee: null,
    branch: null,
    attemptCount: 0,
    lastReason: null,
    mergeCommit: null,
    mergeUnderWay: false,
    blockedBy: [],
    ...patch,
  };
}

export function beadDetail(summary: BeadSummary, patch: Partial<BeadDetail> = {}): BeadDetail {
  return { ...summary, convoyId: id(50), body: '', headCommit: null, blocks: [], attempts: [], ...patch };
}

export function progressOf(beads: readonly BeadSummary[]): ConvoyProgress {
  const count = (test: (b: BeadSummary) => boolean) => beads.filter(test).length;
  return {
    total: beads.length,
    open: count((b) => b.status === 'OPEN' && !b.blocked),
    blocked: count((b) => b.status === 'OPEN' && b.blocked),
    inProgress: count((b) => b.status === 'IN_PROGRESS'),
    inReview: count((b) => b.status === 'IN_REVIEW'),
    closed: count((b) => b.status === 'CLOSED'),
    failed: count((b) => b.status === 'FAILED'),
    cancelled: count((b) => b.status === 'CANCELLED'),
  };
}

export function convoy(title: string, beads: BeadSummary[], patch: Partial<ConvoyDetail> = {}): ConvoyDetail {
  return {
    id: id(50),
    title,
    status: 'ACTIVE',
    mergeMode: 'REVIEW_THEN_LAND',
    staged: false,
    featureBranch: `convoy/${title.toLowerCase()}/head`,
    createdAt: '2026-11-25T09:00:00.000Z',
    updatedAt: '2026-11-25T09:05:00.000Z',
    landedAt: null,
    landedCommit: null,
    failureReason: null,
    cancelReason: null,
    held: false,
    heldReason: null,
    heldSince: null,
    progress: progressOf(beads),
    landings: [],
    mergesUnderWay: [],
    landingsUnderWay: [],
    waves: [beads.map((b) => b.id)],
    beads,
    ...patch,
  };
}

/** The merge queue's default settings, as a rig reads them. */
export const QUEUE = { mergeBatchMax: 8, speculativeDepth: 2, checkConcurrency: 2, retryFlakyChecks: false };

export function rig(n: number, name: string, patch: Partial<RigSummary> = {}): RigSummary {
  return {
    id: id(n),
    name,
    gitUrl: `/srv/git/${name}.git`,
    defaultBranch: 'main',
    createdAt: '2026-11-25T08:00:00.000Z',
    config: { maxPolecats: 4, agent: { kind: 'DEMO', command: null }, agentTimeoutMs: 1_800_000, checks: [], ...QUEUE },
    ...patch,
  };
}

export function agent(name: string, patch: Partial<AgentSummary> = {}): AgentSummary {
  return {
    id: `agent-${name}`,
    name,
    rigId: id(1),
    status: 'IDLE',
    currentBead: null,
    lastHeartbeatAt: null,
    lastSeenAt: '2026-11-25T09:00:00.000Z',
    attemptsTotal: 1,
    ...patch,
  };
}
