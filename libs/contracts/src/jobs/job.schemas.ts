import { z } from 'zod';

/**
 * Work for the git-runners, published by the dispatcher onto a work-queue stream, one subject
 * per kind and rig. A job only names what to do; the runner reads the convoy's events for
 * everything else and checks that the job still applies (a stale or cancelled job is dropped).
 */
const JobScope = { townId: z.uuid(), convoyId: z.uuid(), rigId: z.uuid() };

/** Create a review-then-land convoy's feature branch on a rig from its default branch tip. */
export const BranchJob = z.object({ kind: z.literal('branch'), ...JobScope, branch: z.string().min(1) });
/** Run the dispatched attempt of a bead in its own worktree. */
export const AgentJob = z.object({ kind: z.literal('agent'), ...JobScope, beadId: z.uuid(), attempt: z.number().int().positive() });
/** Review and merge a submitted bead into its target (the refinery). */
export const MergeJob = z.object({ kind: z.literal('merge'), ...JobScope, beadId: z.uuid(), attempt: z.number().int().positive() });
/**
 * Land a convoy's feature branch on one rig's default branch, in two phases so that no rig is
 * pushed before every rig is known to land: `prepare` merges and checks in a scratch worktree and
 * pushes nothing; `push` re-creates the prepared merge on the same target tip and pushes it. A job
 * published before the phases existed prepares.
 */
export const LandJob = z.object({
  kind: z.literal('land'),
  ...JobScope,
  attempt: z.number().int().positive(),
  phase: z.enum(['prepare', 'push']).default('prepare'),
});

export const Job = z.discriminatedUnion('kind', [BranchJob, AgentJob, MergeJob, LandJob]);
export type Job = z.infer<typeof Job>;
export type JobKind = Job['kind'];
export type JobOf<K extends JobKind> = Extract<Job, { kind: K }>;
export const JOB_KINDS: readonly JobKind[] = ['branch', 'agent', 'merge', 'land'];

/** The job's identity: its message id on the jobs stream, so a job published twice is stored once. */
export function jobId(job: Job): string {
  switch (job.kind) {
    case 'branch':
      return `branch:${job.convoyId}:${job.rigId}`;
    case 'agent':
      return `agent:${job.beadId}:${job.attempt}`;
    case 'merge':
      return `merge:${job.beadId}:${job.attempt}`;
    case 'land':
      return job.phase === 'push' ? `land-push:${job.convoyId}:${job.attempt}:${job.rigId}` : `land:${job.convoyId}:${job.attempt}:${job.rigId}`;
  }
}

/** Broadcast to every git-runner when a convoy is closed: stop its agents now. */
export const CancelConvoy = z.object({ townId: z.uuid(), convoyId: z.uuid(), reason: z.string() });
export type CancelConvoy = z.infer<typeof CancelConvoy>;
