import { Logger } from '@nestjs/common';
import type { JobOf } from '@gastown/contracts';
import type { ConvoyView } from '@gastown/convoy-view';
import type { JobTruth } from '../jobs/job.truth';
import { withRigLease, type RigLease } from '../lease/rig.lease';
import type { RigWorkspaces } from '../rigs/rig.workspaces';

type BranchJob = JobOf<'branch'>;

export interface BranchDeps {
  truth: JobTruth;
  workspaces: RigWorkspaces;
  lease: RigLease;
}

function applies(view: ConvoyView, job: BranchJob): string | null {
  if (view.status === 'LANDED' || view.status === 'CANCELLED') return `its convoy is ${view.status}`;
  if (view.mergeMode !== 'REVIEW_THEN_LAND') return 'its convoy merges straight into the default branch';
  const branch = view.featureBranches.get(job.rigId);
  if (branch !== job.branch) return `the convoy's feature branch on this rig is ${branch ?? 'none'}`;
  return null;
}

/**
 * Creates a review-then-land convoy's feature branch on a rig, from the default branch's tip,
 * on origin. Create-only: a branch that exists is left as it is, whoever made it.
 */
export class BranchHandler {
  private readonly logger = new Logger('git-runner');

  constructor(private readonly deps: BranchDeps) {}

  readonly handle = async (job: BranchJob): Promise<void> => {
    const { truth, workspaces, lease } = this.deps;
    const rig = await truth.rig(job.townId, job.rigId);
    const why = rig ? await truth.convoy(job.townId, job.convoyId, (view) => applies(view, job)) : 'its rig is not registered';
    if (!rig || why !== null) {
      this.logger.log(`dropped branch job ${job.branch}: ${why ?? 'its convoy does not exist'}`);
      return;
    }
    const branch = await withRigLease(lease, rig.rigId, () => workspaces.repository(rig).ensureFeatureBranch(job.branch));
    this.logger.log(`feature branch ${job.branch} on ${rig.name} ${branch.created ? 'created' : 'already there'} at ${branch.tip.slice(0, 12)}`);
  };
}
