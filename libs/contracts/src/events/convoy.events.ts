import { z } from 'zod';
import { AgentResult } from '../domain/agent.result';
import { AgentRef, BeadStatus, ConvoyStatus, MergeMode } from '../domain/convoy.types';

const BeadIds = z.array(z.uuid());
const Sha = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'a full git commit id');
const Attempt = z.number().int().positive();
const Reason = z.string().min(1).max(20_000);

export const ConvoyCreatedV1 = z.object({
  title: z.string().min(1),
  slug: z.string().min(1).max(40),
  mergeMode: MergeMode,
  staged: z.boolean(),
  parallel: z.boolean(),
  defaultRigId: z.uuid(),
  maxAttempts: z.number().int().positive(),
  maxLandingAttempts: z.number().int().positive(),
  /** One feature branch per rig of the convoy in REVIEW_THEN_LAND; empty in REVIEW_AND_MERGE. */
  featureBranches: z.array(z.object({ rigId: z.uuid(), branch: z.string().min(1) })),
});

export const BeadCreatedV1 = z.object({
  beadId: z.uuid(),
  index: z.number().int().nonnegative(),
  title: z.string().min(1),
  body: z.string(),
  rigId: z.uuid(),
  dependsOn: BeadIds,
});

export const ConvoyStartedV1 = z.object({});

export const DependencyAddedV1 = z.object({ beadId: z.uuid(), dependsOnBeadId: z.uuid() });
export const DependencyRemovedV1 = DependencyAddedV1;

/** Derived: beads that are now OPEN, in an ACTIVE convoy, with every blocker CLOSED. */
export const BeadsBecameReadyV1 = z.object({ beadIds: BeadIds.min(1) });
/** Derived: beads that left the ready set for a reason other than their own dispatch. */
export const BeadsBecameUnreadyV1 = z.object({ beadIds: BeadIds.min(1) });
/** Derived: beads held because an upstream bead FAILED or was CANCELLED. */
export const BeadsHeldV1 = z.object({
  beads: z
    .array(z.object({ beadId: z.uuid(), reason: z.string().min(1), heldBy: BeadIds.min(1) }))
    .min(1),
});
export const BeadsReleasedV1 = z.object({ beadIds: BeadIds.min(1) });

export const BeadDispatchedV1 = z.object({
  beadId: z.uuid(),
  attempt: Attempt,
  agent: AgentRef,
  branch: z.string().min(1),
  /** Where the bead's work starts from and is merged into. */
  baseBranch: z.string().min(1),
  /** The rework or failure reason of the previous attempt, for the agent's prompt. */
  previousReason: z.string().nullable(),
});
export const BeadStartedV1 = z.object({ beadId: z.uuid(), attempt: Attempt });
export const BeadSubmittedV1 = z.object({ beadId: z.uuid(), attempt: Attempt, branch: z.string().min(1), headCommit: Sha });
/** v2: how the agent ended; null when the report did not say (v1 events, runners that predate it). */
export const BeadSubmittedV2 = BeadSubmittedV1.extend({ agentResult: AgentResult.nullable() });
export const BeadMergedV1 = z.object({
  beadId: z.uuid(),
  attempt: Attempt,
  mergeCommit: Sha,
  targetBranch: z.string().min(1),
});
/** v2: the merge batch whose checks and push brought it in; null for a bead merged on its own (and every v1). */
export const BeadMergedV2 = BeadMergedV1.extend({ batchId: z.uuid().nullable() });

export const MergeBatchBead = z.object({ beadId: z.uuid(), attempt: Attempt, mergeCommit: Sha });
/**
 * The refinery merged these beads one after another (no-ff, one merge commit each, in this
 * order) onto `baseCommit` and starts checking the result. `speculativeOn`: the batch ahead,
 * whose checks were still running; this one's result stands only if that one goes green.
 */
export const MergeBatchStartedV1 = z.object({
  batchId: z.uuid(),
  rigId: z.uuid(),
  targetBranch: z.string().min(1),
  baseCommit: Sha,
  speculativeOn: z.uuid().nullable(),
  beads: z.array(MergeBatchBead).min(1).max(32),
});
export const MergeCheckOutcome = z.enum(['PASSED', 'FAILED', 'FLAKY']);
/**
 * One check run on the batch's first `beadIds.length` beads: the tree of `commit`, the merge
 * commit of the last of them. FLAKY: failed, then passed on the same tree.
 */
export const MergeBatchCheckedV1 = z.object({
  batchId: z.uuid(),
  run: z.number().int().positive(),
  beadIds: BeadIds.min(1),
  commit: Sha,
  outcome: MergeCheckOutcome,
  durationMs: z.number().int().nonnegative(),
  /** Which check failed and the end of its output; null when it passed. */
  reason: Reason.nullable(),
});
export const MergeBatchOutcome = z.enum(['MERGED', 'SPLIT', 'DISCARDED', 'ABANDONED']);
/**
 * MERGED: every bead pushed. SPLIT: bisection isolated `culpritBeadId` (sent back), merged the
 * beads before it, and the ones after it wait for the next batch. DISCARDED: a speculative batch
 * whose base went red, or a batch that could not be pushed; its beads wait again. ABANDONED: its
 * runner stopped, and a later batch took its beads.
 */
export const MergeBatchEndedV1 = z.object({
  batchId: z.uuid(),
  outcome: MergeBatchOutcome,
  mergedBeadIds: BeadIds,
  culpritBeadId: z.uuid().nullable(),
  checkRuns: z.number().int().nonnegative(),
  reason: Reason.nullable(),
});
/** The refinery may push `mergeCommit` onto `targetBranch`: a close decided after this cannot stop that push. */
export const BeadMergeClaimedV1 = z.object({ beadId: z.uuid(), attempt: Attempt, mergeCommit: Sha, targetBranch: z.string().min(1) });
/** The refinery's merge was not pushed because the convoy was closed (or its claimed push did not land after the close). */
export const BeadMergeAbortedV1 = z.object({ beadId: z.uuid(), attempt: Attempt, reason: Reason });
export const BeadReworkRequestedV1 = z.object({ beadId: z.uuid(), attempt: Attempt, reason: Reason });
export const BeadAttemptFailedV1 = z.object({ beadId: z.uuid(), attempt: Attempt, reason: Reason });
/** v2: how the agent ended; null when no agent ran (it could not start) or the report did not say. */
export const BeadAttemptFailedV2 = BeadAttemptFailedV1.extend({ agentResult: AgentResult.nullable() });
export const BeadAgentLostV1 = z.object({ beadId: z.uuid(), attempt: Attempt, agentId: z.string().min(1), reason: Reason });
/** A runner that was asked to stop killed the agent after its drain period: the attempt is not charged to the bead. */
export const BeadAttemptInterruptedV1 = z.object({ beadId: z.uuid(), attempt: Attempt, agentId: z.string().min(1), reason: Reason });
export const BeadFailedV1 = z.object({ beadId: z.uuid(), attempt: z.number().int().nonnegative(), reason: Reason });
/** v2: the last attempt's agent result when its failure ended the bead; null when review, a lost agent or nothing ran ended it. */
export const BeadFailedV2 = BeadFailedV1.extend({ agentResult: AgentResult.nullable() });
export const BeadRetriedV1 = z.object({ beadId: z.uuid() });
export const BeadCancelledV1 = z.object({ beadId: z.uuid(), previousStatus: BeadStatus });

export const ConvoyReadyToLandV1 = z.object({});
export const ConvoyLandingStartedV1 = z.object({ attempt: Attempt });
export const RigLandedV1 = z.object({ rigId: z.uuid(), commit: Sha, targetBranch: z.string().min(1) });
export const ConvoyLandedV1 = z.object({
  /** REVIEW_THEN_LAND: the landing merge per rig. REVIEW_AND_MERGE: the last bead merge per rig. */
  landings: z.array(z.object({ rigId: z.uuid(), commit: Sha })).min(1),
});
export const ConvoyLandingFailedV1 = z.object({ attempt: Attempt, reason: Reason });
/** v2: the rig whose preparation or push failed; null when the failure was not one rig's (or predates v2). */
export const ConvoyLandingFailedV2 = ConvoyLandingFailedV1.extend({ rigId: z.uuid().nullable() });
/**
 * One rig's landing is ready to push: the feature branch merged onto `targetTip` in a scratch
 * worktree gave `tree` and the checks passed on it. The push re-creates that merge on the same tip.
 */
export const RigLandingPreparedV1 = z.object({ rigId: z.uuid(), attempt: Attempt, targetTip: Sha, tree: Sha });
/** Every rig not yet landed is prepared: the pushes may start, rig by rig. */
export const ConvoyLandingPreparedV1 = z.object({ attempt: Attempt });
/** The landing may push `commit` onto the rig's `targetBranch`: a close decided after this cannot stop that push. */
export const RigLandingClaimedV1 = z.object({ rigId: z.uuid(), attempt: Attempt, commit: Sha, targetBranch: z.string().min(1) });
/** The rig's landing was not pushed because the convoy was closed (or its claimed push did not land after the close). */
export const RigLandingAbortedV1 = z.object({ rigId: z.uuid(), attempt: Attempt, reason: Reason });
export const ConvoyFailedV1 = z.object({ reason: Reason, failedBeadIds: BeadIds });
export const ConvoyReactivatedV1 = z.object({ status: ConvoyStatus.extract(['ACTIVE', 'READY_TO_LAND']) });
export const ConvoyCancelledV1 = z.object({
  reason: Reason,
  /** Agents the execution services must stop. */
  stopAgents: z.array(z.object({ beadId: z.uuid(), agentId: z.string().min(1), attempt: Attempt })),
  /** Submitted beads whose review must be dropped. */
  dropReviews: BeadIds,
  /** True when a landing was under way and must be abandoned. */
  dropLanding: z.boolean(),
});

export const convoyEventSchemas = {
  ConvoyCreated: { 1: ConvoyCreatedV1 },
  BeadCreated: { 1: BeadCreatedV1 },
  ConvoyStarted: { 1: ConvoyStartedV1 },
  DependencyAdded: { 1: DependencyAddedV1 },
  DependencyRemoved: { 1: DependencyRemovedV1 },
  BeadsBecameReady: { 1: BeadsBecameReadyV1 },
  BeadsBecameUnready: { 1: BeadsBecameUnreadyV1 },
  BeadsHeld: { 1: BeadsHeldV1 },
  BeadsReleased: { 1: BeadsReleasedV1 },
  BeadDispatched: { 1: BeadDispatchedV1 },
  BeadStarted: { 1: BeadStartedV1 },
  BeadSubmitted: { 1: BeadSubmittedV1, 2: BeadSubmittedV2 },
  BeadMerged: { 1: BeadMergedV1, 2: BeadMergedV2 },
  MergeBatchStarted: { 1: MergeBatchStartedV1 },
  MergeBatchChecked: { 1: MergeBatchCheckedV1 },
  MergeBatchEnded: { 1: MergeBatchEndedV1 },
  BeadMergeClaimed: { 1: BeadMergeClaimedV1 },
  BeadMergeAborted: { 1: BeadMergeAbortedV1 },
  BeadReworkRequested: { 1: BeadReworkRequestedV1 },
  BeadAttemptFailed: { 1: BeadAttemptFailedV1, 2: BeadAttemptFailedV2 },
  BeadAgentLost: { 1: BeadAgentLostV1 },
  BeadAttemptInterrupted: { 1: BeadAttemptInterruptedV1 },
  BeadFailed: { 1: BeadFailedV1, 2: BeadFailedV2 },
  BeadRetried: { 1: BeadRetriedV1 },
  BeadCancelled: { 1: BeadCancelledV1 },
  ConvoyReadyToLand: { 1: ConvoyReadyToLandV1 },
  ConvoyLandingStarted: { 1: ConvoyLandingStartedV1 },
  RigLandingPrepared: { 1: RigLandingPreparedV1 },
  ConvoyLandingPrepared: { 1: ConvoyLandingPreparedV1 },
  RigLandingClaimed: { 1: RigLandingClaimedV1 },
  RigLandingAborted: { 1: RigLandingAbortedV1 },
  RigLanded: { 1: RigLandedV1 },
  ConvoyLanded: { 1: ConvoyLandedV1 },
  ConvoyLandingFailed: { 1: ConvoyLandingFailedV1, 2: ConvoyLandingFailedV2 },
  ConvoyFailed: { 1: ConvoyFailedV1 },
  ConvoyReactivated: { 1: ConvoyReactivatedV1 },
  ConvoyCancelled: { 1: ConvoyCancelledV1 },
} as const;
