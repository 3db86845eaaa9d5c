import { Logger } from '@nestjs/common';
import { singleLineText, type JobOf } from '@gastown/contracts';
import type { ConvoyView } from '@gastown/convoy-view';
import { checkEnvironment, describeCheckFailure, runChecks } from '../git/rig.checks';
import { BranchNotFoundError, TargetMovedError } from '../git/rig.errors';
import type { RigRepository } from '../git/rig.repository';
import type { ConvoyCommands, ConvoyReport } from '../jobs/convoy.commands';
import { RetryJobSoon } from '../jobs/job.errors';
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
}

function landing(view: ConvoyView, job: LandJob): Landing | string {
  if (view.status !== 'LANDING') return `its convoy is ${view.status}`;
  if (view.landingAttempt !== job.attempt) return `landing attempt ${view.landingAttempt} is under way`;
  const landed = view.landings.get(job.rigId);
  if (landed) return `the rig already landed at ${landed}`;
  const featureBranch = view.featureBranches.get(job.rigId);
  if (!featureBranch) return 'the convoy has no feature branch on this rig';
  return { title: view.title, featureBranch };
}

const MOVED_RETRY_MS = 200;

/**
 * Lands a review-then-land convoy on one rig: merges its feature branch into the rig's default
 * branch (no-ff), runs the checks, pushes under the rig's lease, and reports the landing only
 * once origin holds a landing commit that changes something. A convoy that changed nothing is
 * never reported landed.
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

  private async land(job: LandJob, rig: RigInfo, convoy: Landing, repository: RigRepository, held: HeldRigLease): Promise<ConvoyReport> {
    const target = rig.defaultBranch;
    const key = `land-${job.convoyId.slice(0, 8)}-a${job.attempt}`;
    const landed = (commit: string): ConvoyReport => ({
      type: 'RecordRigLanded',
      commandId: `landed:${job.convoyId}:${job.attempt}:${job.rigId}`,
      data: { rigId: job.rigId, attempt: job.attempt, commit },
    });
    const failed = (reason: string): ConvoyReport => ({
      type: 'FailLanding',
      commandId: `landfail:${job.convoyId}:${job.attempt}`,
      data: { attempt: job.attempt, reason: `${rig.name}: ${reason}` },
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
          const { checks } = rig.config;
          const checkTimeoutMs = Math.min(rig.config.checkTimeoutMs, this.deps.maxCheckTimeoutMs);
          const result = await runChecks(outcome.worktree, checks, { timeoutMs: checkTimeoutMs, env: checkEnvironment(), sandbox: this.deps.sandbox, townId: job.townId });
          if (!result.ok && result.failed) return failed(describeCheckFailure(result.failed, checkTimeoutMs));
          await repository.pushMerge({ commit: outcome.commit, target, expectedTip: outcome.targetTip, fence: held.fence });
        } catch (error) {
          if (error instanceof TargetMovedError) {
            throw new RetryJobSoon(`${target} moved during the landing; landing again onto its new tip`, MOVED_RETRY_MS + Math.floor(Math.random() * MOVED_RETRY_MS));
          }
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

  private drop(job: LandJob, why: string): null {
    this.logger.log(`dropped land job ${job.convoyId}:${job.attempt} on rig ${job.rigId}: ${why}`);
    return null;
  }
}
