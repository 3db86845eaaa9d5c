import type { BeadDetail, BeadSummary, ConvoyChange, ConvoyDetail, ConvoyProgress, ConvoySummary } from '@gastown/gateway-client';

/** Read models as the gateway returns them, for the formatting specs. */
export function progressOf(counts: Partial<ConvoyProgress>): ConvoyProgress {
  const base = { open: 0, inProgress: 0, inReview: 0, closed: 0, failed: 0, cancelled: 0, blocked: 0, ...counts };
  const total = base.open + base.inProgress + base.inReview + base.closed + base.failed + base.cancelled + base.blocked;
  return { ...base, total };
}

export function aConvoy(overrides: Partial<ConvoySummary> = {}): ConvoySummary {
  return {
    id: 'c0000000-0000-4000-8000-000000000001',
    title: 'Login page',
    status: 'ACTIVE',
    mergeMode: 'REVIEW_THEN_LAND',
    staged: false,
    featureBranch: 'convoy/login-page',
    createdAt: '2026-11-23T12:00:00.000Z',
    updatedAt: '2026-11-23T12:00:05.000Z',
    landedAt: null,
    landedCommit: null,
    failureReason: null,
    cancelReason: null,
    held: false,
    heldReason: null,
    heldSince: null,
    progress: progressOf({ closed: 1, inProgress: 1, open: 2 }),
    ...overrides,
  };
}

export function aBead(overrides: Partial<BeadSummary> = {}): BeadSummary {
  return {
    id: 'b0000000-0000-4000-8000-000000000000',
    index: 0,
    title: 'Schema',
    status: 'OPEN',
    rigId: 'r0000000-0000-4000-8000-000000000001',
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
    ...overrides,
  };
}

export function aConvoyDetail(beads: BeadSummary[], overrides: Partial<ConvoyDetail> = {}): ConvoyDetail {
  return { ...aConvoy(), landings: [], mergesUnderWay: [], landingsUnderWay: [], waves: [beads.map((b) => b.id)], beads, ...overrides };
}

export function aBeadDetail(overrides: Partial<BeadDetail> = {}): BeadDetail {
  return {
    ...aBead(),
    convoyId: 'c0000000-0000-4000-8000-000000000001',
    body: 'Add the users table.',
    headCommit: null,
    blocks: [],
    attempts: [],
    ...overrides,
  };
}

export function aChange(summaries: string[], convoy: Partial<ConvoySummary> = {}): ConvoyChange {
  return {
    sequence: 42,
    convoyId: 'c0000000-0000-4000-8000-000000000001',
    events: summaries.map((summary, index) => ({
      sequence: 42,
      index,
      type: 'BeadDispatched',
      occurredAt: '2026-11-23T12:00:07.250Z',
      summary,
      beadIds: [],
    })),
    convoy: aConvoy(convoy),
  };
}
