import type { MergeQueueEntry, RigAgent, RigBead, RigConvoy, RigInfo } from './rig.model';
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

/** A bead waiting in the rig's merge queue, handed in at `submittedAt`, outside any batch unless overridden. */
export function queueEntry(id: string, position: number, overrides: Partial<MergeQueueEntry> = {}): MergeQueueEntry {
  return {
    position,
    status: 'WAITING',
    submittedAt: '2026-11-25T10:00:00Z',
    startedAt: null,
    batch: null,
    bead: { id, title: `bead ${id}`, convoyId: 'c-1', assignee: null, convoy: { title: 'convoy c-1' } },
    ...overrides,
  };
}
