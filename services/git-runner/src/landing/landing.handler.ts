import { Logger } from '@nestjs/common';
import { commandIds, singleLineText, type JobOf } from '@gastown/contracts';
import type { ConvoyView } from '@gastown/convoy-view';
import { checkEnvironment, describeCheckFailure, runChecks } from '../git/rig.checks';
import { BranchNotFoundError, TargetMovedError } from '../git/rig.errors';
import type { MergeOutcome, RigRepository } from '../git/rig.repository';
import type { ConvoyCommands, ConvoyReport } from '../jobs/convoy.commands';
import type { JobTruth, RigInfo } from '../jobs/job.truth';
import { withRigLease, type HeldRigLease, type RigLease } from '../lease/rig.lease';
import type { RigWorkspaces } from '../rigs/rig.workspaces';
import type { Sandbox } from '../sandbox/sandbox';

type LandJob = JobOf<'land'>;

export interface LandingDeps {
  truth: JobTruth;
  commands: ConvoyCommands;
  workspaces: RigWorkspaces;
  lease: RigLease;
  /** The operator's cap on a check, whatever its rig asks for (GIT_RUNNER_MAX_CHECK_TIMEOUT_MS). */
  maxCheckTimeoutMs: number;
  /** Where checks run (GIT_RUNNER_SANDBOX). */
  sandbox: Sandbox;
}

interface Landing {
  title: string;
  featureBranch: string;
  /** The push phase: the target tip and merged tree the preparation recorded. */
  prepared: { targetTip: string; tree: string } | null;
  /** The convoy was closed after this rig's push was granted: only that push's outcome is left to record. */
  closed: boolean;
}

function landing(view: ConvoyView, job: LandJob): Landing | string {
  // A rig whose push was granted before the close keeps its claim until its outcome is recorded.
  const closed = view.status === 'CANCELLED' && job.phase === 'push' && view.landingAttempt === job.attempt && view.landingClaims.has(job.rigId);
  if (view.status !== 'LANDING' && !closed) return `its convoy is ${view.status}`;
  if (view.landingAttempt !== job.attempt) return `landing attempt ${view.landingAttempt} is under way`;
  const landed = view.landings.get(job.rigId);
  if (landed) return `the rig already landed at ${landed}`;
  const featureBranch = view.featureBranches.get(job.rigId);
  if (!featureBranch) return 'the convoy has no feature branch on this rig';
  if (job.phase === 'prepare') {
    if (view.landingPreparations.has(job.rigId)) return 'the rig is already prepared for this attempt';
    return { title: view.title, featureBranch, prepared: null, closed };
  }
  const prepared = view.landingPreparations.get(job.rigId);
  if (!view.landingPrepared || !prepared) return 'not every rig of the convoy is prepared yet';
  return { title: view.title, featureBranch, prepared, closed };
}

/**
 * Lands a review-then-land convoy on one rig in two phases, each under the rig's lease.
 *
 * `prepare` merges the feature branch onto the current default branch (no-ff) in a scratch
 * worktree, runs the checks, and records the target tip and the merged tree; it pushes nothing,
 * so a convoy that fails on one rig has touched none. `push` (once every rig is prepared) makes
 * the same merge again, requires the same target tip and tree — the tree the checks passed on —
 * and pushes with a lease on that tip: a target that moved since its preparation fails this rig
 * cleanly instead of landing an unchecked merge. Right before that push, still holding the lease,
 * it asks the convoy for leave (ClaimLandingPush), so a close is ordered before the push (which
 * then never happens) or after it (and the close knows this landing may still land). The landing
 * is reported only once origin holds a landing commit that changes something.
 */
export class LandingHandler {
  private readonly logger = new Logger('landing');

  constructor(private readonly deps: LandingDeps) {}

  readonly handle = async (job: LandJob): Promise<void> => {
    const { truth, workspaces, lease, commands } = this.deps;
    const rig = await truth.rig(job.townId, job.rigId);
    if (!rig) {
      this.drop(job, 'its rig is not registered');
      return;
    }
    const repository = workspaces.repository(rig);
    const report = await withRigLease(lease, rig.rigId, async (held) => {
      const found = await truth.convoy(job.townId, job.convoyId, (view) => landing(view, job));
      if (found === undefined) return this.drop(job, 'its convoy does not exist');
      if (typeof found === 'string') return this.drop(job, found);
      return this.land(job, rig, found, repository, held);
    });
    if (report) await commands.send({ townId: job.townId, convoyId: job.convoyId }, report);
  };

  private async land(job: LandJob, rig: RigInfo, convoy: Landing, repository: RigRepository, held: HeldRigLease): Promise<ConvoyReport | null> {
    const target = rig.defaultBranch;
    const key = `land-${job.convoyId.slice(0, 8)}-a${job.attempt}`;
    const landed = (commit: string): ConvoyReport => ({
      type: 'RecordRigLanded',
      commandId: commandIds.recordRigLanded(job.convoyId, job.attempt, job.rigId),
      data: { rigId: job.rigId, attempt: job.attempt, commit },
    });
    const failed = (reason: string): ConvoyReport => ({
      type: 'FailLanding',
      commandId: commandIds.failLanding(job.convoyId, job.attempt),
      data: { attempt: job.attempt, reason: `${rig.name}: ${reason}`, rigId: job.rigId },
    });
    const nothing = `the convoy changed nothing on ${rig.name}`;

    let outcome;
    try {
      outcome = await repository.merge({ source: convoy.featureBranch, target, message: `Land convoy "${singleLineText(convoy.title)}"`, key });
    } catch (error) {
      if (error instanceof BranchNotFoundError && error.branch === convoy.featureBranch) {
        return failed(`the feature branch ${convoy.featureBranch} is not on origin`);
      }
      throw error;
    }
    switch (outcome.kind) {
      case 'already-merged': {
        // A redelivery after a crash between the push and the report, or a branch that never
        // changed anything (it still equals a commit of the default branch): only the first lands.
        const brought = await repository.broughtIn(target, outcome.sourceTip);
        if (!brought?.changed) return failed(nothing);
        this.logger.log(`convoy ${job.convoyId.slice(0, 8)} is already landed on ${rig.name} by ${brought.merge.slice(0, 12)}`);
        return landed(brought.merge);
      }
      case 'empty':
        return failed(nothing);
      case 'conflict':
        return failed(`landing on ${target} conflicts in: ${outcome.files.join(', ')}`);
      case 'merged':
        try {
          if (convoy.prepared === null) return await this.prepare(job, rig, outcome, failed);
          // Granted before a close and redelivered (its runner died): record what origin holds, never push anew.
          if (convoy.closed) return failed(`the granted landing is not on ${target}; it was not pushed again after the close`);
          const moved = movedSincePrepared(target, convoy.prepared, outcome);
          if (moved) return failed(moved);
          await held.fence();
          const granted = await this.deps.commands.claimLandingPush(
            { townId: job.townId, convoyId: job.convoyId },
            { rigId: job.rigId, attempt: job.attempt, commit: outcome.commit },
          );
          if (!granted) return this.drop(job, `the convoy refused to let ${outcome.commit.slice(0, 12)} be pushed (closed, or the landing moved on)`);
          await repository.pushMerge({ commit: outcome.commit, target, expectedTip: convoy.prepared.targetTip, fence: held.fence });
        } catch (error) {
          if (error instanceof TargetMovedError) return failed(`${target} moved while the landing was being pushed; it was not pushed`);
          throw error;
        } finally {
          await repository.discardMerge(key);
        }
        // Trust what origin holds, not what the push said.
        if (!(await repository.contains(target, outcome.commit)) || (await repository.diffIsEmpty(outcome.targetTip, outcome.commit))) {
          throw new Error(`the landing commit ${outcome.commit} is not on ${target} with a change after its push`);
        }
        this.logger.log(`landed convoy ${job.convoyId.slice(0, 8)} on ${rig.name} ${target} at ${outcome.commit.slice(0, 12)}`);
        return landed(outcome.commit);
    }
  }

  private async prepare(job: LandJob, rig: RigInfo, merged: MergedOutcome, failed: (reason: string) => ConvoyReport): Promise<ConvoyReport> {
    const checkTimeoutMs = Math.min(rig.config.checkTimeoutMs, this.deps.maxCheckTimeoutMs);
    const result = await runChecks(merged.worktree, rig.config.checks, { timeoutMs: checkTimeoutMs, env: checkEnvironment(), sandbox: this.deps.sandbox, townId: job.townId });
    if (!result.ok && result.failed) return failed(describeCheckFailure(result.failed, checkTimeoutMs));
    this.logger.log(`prepared convoy ${job.convoyId.slice(0, 8)} on ${rig.name} onto ${merged.targetTip.slice(0, 12)}`);
    return {
      type: 'RecordRigLandingPrepared',
      commandId: commandIds.recordRigLandingPrepared(job.convoyId, job.attempt, job.rigId),
      data: { rigId: job.rigId, attempt: job.attempt, targetTip: merged.targetTip, tree: merged.tree },
    };
  }

  private drop(job: LandJob, why: string): null {
    this.logger.log(`dropped ${job.phase} land job ${job.convoyId}:${job.attempt} on rig ${job.rigId}: ${why}`);
    return null;
  }
}

type MergedOutcome = Extract<MergeOutcome, { kind: 'merged' }>;

/** Why the merge made now is not the one prepared and checked, or null when it is. */
function movedSincePrepared(target: string, prepared: { targetTip: string; tree: string }, merged: MergedOutcome): string | null {
  if (merged.targetTip !== prepared.targetTip) {
    return `${target} moved since the landing was prepared (from ${prepared.targetTip.slice(0, 12)} to ${merged.targetTip.slice(0, 12)}); it was not pushed`;
  }
  if (merged.tree !== prepared.tree) return `the merge onto ${target} is not the one prepared and checked; it was not pushed`;
  return null;
}
