import { Logger } from '@nestjs/common';
import { singleLineText, type JobOf } from '@gastown/contracts';
import { targetBranchOf, type ConvoyView } from '@gastown/convoy-view';
import { BranchNotFoundError, TargetMovedError } from '../git/rig.errors';
import type { RigRepository } from '../git/rig.repository';
import type { ConvoyCommands, ConvoyReport } from '../jobs/convoy.commands';
import { RetryJobSoon } from '../jobs/job.errors';
import type { JobTruth, RigInfo } from '../jobs/job.truth';
import { withRigLease, type HeldRigLease, type RigLease } from '../lease/rig.lease';
import type { RigWorkspaces } from '../rigs/rig.workspaces';
import type { Sandbox } from '../sandbox/sandbox';
import { MergeQueuePass, waitingBeads } from './refinery.queue';
import { beadMerged, unmergedReport, type Unmerged } from './refinery.reports';

type MergeJob = JobOf<'merge'>;

export interface RefineryDeps {
  truth: JobTruth;
  commands: ConvoyCommands;
  workspaces: RigWorkspaces;
  lease: RigLease;
  /** The operator's cap on a check, whatever its rig asks for (GIT_RUNNER_MAX_CHECK_TIMEOUT_MS). */
  maxCheckTimeoutMs: number;
  /** Where checks run (GIT_RUNNER_SANDBOX). */
  sandbox: Sandbox;
}

interface Review {
  title: string;
  branch: string;
  target: string;
  /** The convoy was closed after this bead's push was granted: only that merge's outcome is left to record. */
  closed: boolean;
}

function review(view: ConvoyView, job: MergeJob, rig: RigInfo): Review | string {
  const bead = view.beads.get(job.beadId);
  // A bead whose push was granted before the close stays IN_REVIEW until its outcome is recorded.
  const closed = view.status === 'CANCELLED' && bead?.status === 'IN_REVIEW' && bead.mergeClaim !== null;
  if (view.status !== 'ACTIVE' && !closed) return `its convoy is ${view.status}`;
  if (!bead) return 'the bead is not part of its convoy';
  if (bead.status !== 'IN_REVIEW' || bead.attempt !== job.attempt) return `the bead is ${bead.status} on attempt ${bead.attempt}`;
  if (bead.rigId !== job.rigId) return `the bead works on rig ${bead.rigId}`;
  if (!bead.branch) return 'the bead has no branch';
  return { title: bead.title, branch: bead.branch, target: targetBranchOf(view, bead, rig.defaultBranch), closed };
}

/** Where the job's bead merges into, whatever its state now; null when the convoy is not open or the bead is not there. */
function targetOfJob(view: ConvoyView, job: MergeJob, rig: RigInfo): string | null {
  const bead = view.beads.get(job.beadId);
  return view.status === 'ACTIVE' && bead && bead.rigId === job.rigId && bead.baseBranch ? targetBranchOf(view, bead, rig.defaultBranch) : null;
}

/** A retry on the moved target: soon, with jitter so that racing replicas do not meet again. */
const MOVED_RETRY_MS = 200;
/** Passes of the queue in a row that settle no bead (the target keeps moving) before the job waits and retries. */
const IDLE_PASSES = 3;
/** How long a job drains the beads waiting behind its own once that is settled; under the lease wait of other queues' jobs. */
const DRAIN_AFTER_SETTLED_MS = 20_000;

/**
 * The refinery: a merge job for a bead in review drains its rig's merge queue under the rig's
 * lease until that bead is settled (see MergeQueuePass): batches merged onto the target, checked
 * once, bisected on red, pushed only as trees that passed. Every step is decided from origin's
 * current state, so a redelivered job records the merges it finds instead of merging twice. The
 * other beads' jobs find their bead settled and end.
 */
export class RefineryHandler {
  private readonly logger = new Logger('refinery');

  constructor(private readonly deps: RefineryDeps) {}

  readonly handle = async (job: MergeJob): Promise<void> => {
    const { truth, workspaces, lease, commands } = this.deps;
    const rig = await truth.rig(job.townId, job.rigId);
    if (!rig) {
      this.drop(job, 'its rig is not registered');
      return;
    }
    const repository = workspaces.repository(rig);
    const scope = { townId: job.townId, convoyId: job.convoyId };
    // The queue reports as it goes; a closed convoy's last merge is decided under the lease and reported after it.
    const report = await withRigLease(lease, rig.rigId, async (held) => {
      let settledAt: number | undefined;
      for (let pass = 0, idle = 0; ; pass++) {
        // Read under the lease: a duplicate of this job, or the last pass, may have settled it.
        const found = await truth.convoy(job.townId, job.convoyId, (view) => {
          const bead = review(view, job, rig);
          const target = targetOfJob(view, job, rig);
          const waiting = target === null ? [] : waitingBeads(view, rig.rigId, target, (other) => targetBranchOf(view, other, rig.defaultBranch));
          return { bead, waiting, target };
        });
        if (found === undefined) return this.drop(job, 'its convoy does not exist');
        if (typeof found.bead !== 'string' && found.bead.closed) return this.settleClosed(job, rig, found.bead, repository, held);
        if (typeof found.bead === 'string') {
          if (pass === 0) return this.drop(job, found.bead);
          settledAt ??= Date.now();
        }
        // Once its own bead is settled the job goes on with the beads still waiting behind it for a
        // while, which saves each of them a lease hand-over, then lets other queues of the rig have a turn.
        const goOn = settledAt === undefined || (Date.now() - settledAt < DRAIN_AFTER_SETTLED_MS && found.waiting.length > 0);
        if (!goOn || found.target === null) return null;
        const queue = new MergeQueuePass({ ...this.deps, repository, held, rig, scope, target: found.target });
        if (await queue.run(found.waiting)) idle = 0;
        else if (++idle >= IDLE_PASSES) {
          throw new RetryJobSoon(`the merge queue of ${found.target} settled no bead in ${IDLE_PASSES} passes (its target keeps moving)`, MOVED_RETRY_MS + Math.floor(Math.random() * MOVED_RETRY_MS));
        }
      }
    });
    if (report) await commands.send(scope, report);
  };

  /**
   * A bead of a closed convoy whose push was granted before the close: only that merge may still
   * land, and only its outcome is left to record. No checks: the convoy refuses any other merge.
   */
  private async settleClosed(job: MergeJob, rig: RigInfo, bead: Review, repository: RigRepository, held: HeldRigLease): Promise<ConvoyReport | null> {
    const { target } = bead;
    const key = `merge-${job.beadId.slice(0, 8)}-a${job.attempt}`;
    const reviewed = { beadId: job.beadId, attempt: job.attempt, branch: bead.branch };
    const unmerged = (outcome: Unmerged, targetTip: string) => unmergedReport(reviewed, outcome, { target, targetTip, allowEmptyBeads: rig.config.allowEmptyBeads, repository });

    let outcome;
    try {
      outcome = await repository.merge({ source: bead.branch, target, message: `Merge bead "${singleLineText(bead.title)}" (${job.beadId.slice(0, 8)})`, key });
    } catch (error) {
      if (error instanceof BranchNotFoundError && error.branch === bead.branch) return unmerged({ kind: 'missing' }, '');
      throw error;
    }
    switch (outcome.kind) {
      case 'already-merged':
        return unmerged(outcome, outcome.commit);
      case 'empty':
        return unmerged(outcome, outcome.targetTip);
      case 'conflict':
        return unmerged(outcome, '');
      case 'merged':
        try {
          // The convoy decides on its latest sequence: granted only for the merge it granted before the close.
          await held.fence();
          const granted = await this.deps.commands.claimMergePush(
            { townId: job.townId, convoyId: job.convoyId },
            { beadId: job.beadId, attempt: job.attempt, mergeCommit: outcome.commit },
          );
          if (!granted) return this.drop(job, `the convoy refused to let ${outcome.commit.slice(0, 12)} be pushed (closed, or the bead moved on)`);
          await repository.pushMerge({ commit: outcome.commit, target, expectedTip: outcome.targetTip, fence: held.fence });
          this.logger.log(`merged bead ${job.beadId.slice(0, 8)} into ${target} at ${outcome.commit.slice(0, 12)}`);
          return beadMerged(reviewed, outcome.commit);
        } catch (error) {
          if (error instanceof TargetMovedError) {
            throw new RetryJobSoon(`${target} moved during the merge; merging again onto its new tip`, MOVED_RETRY_MS + Math.floor(Math.random() * MOVED_RETRY_MS));
          }
          throw error;
        } finally {
          await repository.discardMerge(key);
        }
    }
  }

  private drop(job: MergeJob, why: string): null {
    this.logger.log(`dropped merge job ${job.beadId}:${job.attempt}: ${why}`);
    return null;
  }
}
