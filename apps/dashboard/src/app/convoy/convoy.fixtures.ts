import type { ConvoyBead, ConvoyDetail } from './convoy.store';

/** Test data shaped like the gateway's answers; spec files only. */
export function convoyBead(id: string, title: string, extra: Partial<ConvoyBead> = {}): ConvoyBead {
  return {
    id,
    index: 0,
    title,
    status: 'OPEN',
    blocked: false,
    blockedReason: null,
    assignee: null,
    rigId: 'rig-web',
    branch: null,
    attemptCount: 0,
    mergeUnderWay: false,
    ...extra,
  };
}

/** The README's login diamond, mid-flight: Schema merged, API at work, UI in review, E2E waiting. */
export function convoyDetail(extra: Partial<ConvoyDetail> = {}): ConvoyDetail {
  return {
    sequence: 10,
    id: 'convoy-1',
    title: 'Login page',
    slug: 'login-page',
    status: 'ACTIVE',
    mergeMode: 'REVIEW_THEN_LAND',
    staged: false,
    parallel: false,
    featureBranch: 'convoy/login-page/ab51edf9/head',
    featureBranches: [{ rigId: 'rig-web', branch: 'convoy/login-page/ab51edf9/head' }],
    createdAt: '2025-01-01T10:00:00Z',
    updatedAt: '2025-01-01T10:05:00Z',
    landedAt: null,
    landedCommit: null,
    landings: [],
    mergesUnderWay: [],
    landingsUnderWay: [],
    cancelReason: null,
    held: false,
    heldReason: null,
    heldSince: null,
    failureReason: null,
    progress: { total: 4, open: 1, blocked: 0, inProgress: 1, inReview: 1, closed: 1, failed: 0, cancelled: 0 },
    rigs: [{ id: 'rig-web', name: 'web' }],
    dependencyEdges: [
      { beadId: 'b-api', dependsOnBeadId: 'b-schema' },
      { beadId: 'b-ui', dependsOnBeadId: 'b-schema' },
      { beadId: 'b-e2e', dependsOnBeadId: 'b-api' },
      { beadId: 'b-e2e', dependsOnBeadId: 'b-ui' },
    ],
    beads: [
      convoyBead('b-schema', 'Schema', { index: 0, status: 'CLOSED', assignee: 'Nux', attemptCount: 1 }),
      convoyBead('b-api', 'API', { index: 1, status: 'IN_PROGRESS', assignee: 'Slit', attemptCount: 1 }),
      convoyBead('b-ui', 'UI', { index: 2, status: 'IN_REVIEW', assignee: 'Toast', attemptCount: 1 }),
      convoyBead('b-e2e', 'E2E tests', { index: 3 }),
    ],
    ...extra,
  };
}
