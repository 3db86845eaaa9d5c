import type { RigAgent, RigBead, RigConvoy, RigInfo } from './rig.model';
import { progressOf } from './rig.selectors';

/** Test data: the rig view's shapes as the gateway returns them, overridable field by field. */
export function rigInfo(overrides: Partial<RigInfo> = {}): RigInfo {
  return {
    id: 'r-1',
    name: 'web',
    gitUrl: 'https://git.example.com/acme/web.git',
    defaultBranch: 'main',
    createdAt: '2026-11-20T09:00:00Z',
    config: { maxPolecats: 4, agentTimeoutMs: 1_800_000, agent: { kind: 'DEMO', command: null, profile: null }, checks: [] },
    ...overrides,
  };
}

export function rigBead(id: string, overrides: Partial<RigBead> = {}): RigBead {
  return { id, title: `bead ${id}`, status: 'OPEN', blocked: false, rigId: 'r-1', assignee: null, convoyId: 'c-1', attempts: [], ...overrides };
}

export function rigConvoy(id: string, beads: RigBead[], overrides: Partial<RigConvoy> = {}): RigConvoy {
  return {
    id,
    title: `convoy ${id}`,
    status: 'ACTIVE',
    mergeMode: 'REVIEW_THEN_LAND',
    sequence: 1,
    createdAt: '2026-11-25T10:00:00Z',
    progress: { total: beads.length, open: beads.length, blocked: 0, inProgress: 0, inReview: 0, closed: 0, failed: 0, cancelled: 0 },
    rigProgress: progressOf(beads.filter((b) => b.rigId === 'r-1')),
    beads: beads.map((b) => ({ ...b, convoyId: id })),
    ...overrides,
  };
}

export function rigAgent(name: string, overrides: Partial<RigAgent> = {}): RigAgent {
  return {
    id: `a-${name}`,
    name,
    status: 'IDLE',
    currentBead: null,
    lastHeartbeatAt: null,
    lastSeenAt: '2026-11-25T10:00:00Z',
    attemptsTotal: 0,
    ...overrides,
  };
}

/** A bead in review whose attempt was handed in at `at`. */
export function inReview(id: string, at: string | null, overrides: Partial<RigBead> = {}): RigBead {
  return rigBead(id, {
    status: 'IN_REVIEW',
    attempts: [
      { number: 1, outcome: 'REWORK', endedAt: '2026-11-25T09:00:00Z' },
      { number: 2, outcome: 'SUBMITTED', endedAt: at },
    ],
    ...overrides,
  });
}
