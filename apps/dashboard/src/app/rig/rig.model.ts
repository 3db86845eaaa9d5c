import type { AgentStatus, AttemptOutcome, BeadState, BeadStatus, ConvoyProgress, ConvoyStatus, MergeMode } from '../gateway/gateway.types';

/** PROFILE names one of the operator's agent profiles; COMMAND is a town's own argv (single-tenant installs). */
export interface RigAgentConfig {
  kind: 'DEMO' | 'PROFILE' | 'COMMAND';
  command: string[] | null;
  profile: string | null;
}

export interface RigInfo {
  id: string;
  name: string;
  gitUrl: string;
  defaultBranch: string;
  createdAt: string;
  config: {
    maxPolecats: number;
    agentTimeoutMs: number;
    agent: RigAgentConfig;
    checks: { name: string }[];
  };
}

export interface RigAgent {
  id: string;
  name: string;
  status: AgentStatus;
  currentBead: { id: string; title: string; convoyId: string } | null;
  lastHeartbeatAt: string | null;
  lastSeenAt: string;
  attemptsTotal: number;
}

export interface RigBead {
  id: string;
  title: string;
  status: BeadStatus;
  blocked: boolean;
  rigId: string;
  assignee: string | null;
  convoyId: string;
  /** Oldest first. */
  attempts: { number: number; outcome: AttemptOutcome; endedAt: string | null }[];
}

/** A convoy as the rig view reads it: the rig's counts and its first beads on the rig (BEADS_LISTED). */
export interface RigConvoy {
  id: string;
  title: string;
  status: ConvoyStatus;
  mergeMode: MergeMode;
  sequence: number;
  createdAt: string;
  progress: ConvoyProgress;
  /** Counts of the rig's beads only. */
  rigProgress: ConvoyProgress;
  beads: RigBead[];
}

/** A convoy as the rig view shows it: only the rig's own beads, counted on their own. */
export interface RigConvoyView {
  id: string;
  title: string;
  status: ConvoyStatus;
  mergeMode: MergeMode;
  createdAt: string;
  inFlight: boolean;
  /** The whole convoy's bead count, across rigs. */
  convoyTotal: number;
  rigProgress: ConvoyProgress;
  beads: (RigBead & { state: BeadState })[];
}

export type MergeQueueStatus = 'WAITING' | 'CHECKING' | 'BISECTING';

/** A bead in the rig's refinery queue, as the gateway's merge queue read model holds it. */
export interface MergeQueueEntry {
  /** 1 is the first in line. */
  position: number;
  status: MergeQueueStatus;
  /** When its attempt was handed in. */
  submittedAt: string;
  /** When its batch started; null while it waits for one. */
  startedAt: string | null;
  batch: { id: string; speculativeOn: string | null; checkRuns: number } | null;
  bead: { id: string; title: string; convoyId: string; assignee: string | null; convoy: { title: string } };
}
