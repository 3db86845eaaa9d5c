import { readdir } from 'node:fs/promises';
import { Logger } from '@nestjs/common';
import { openRigCredentials, type SecretKeyring } from '@gastown/contracts';
import { RigRepository } from '../git/rig.repository';
import type { JobTruth, RigInfo } from '../jobs/job.truth';
import type { DataLayout } from '../runner/data.layout';
import type { RepositoryPolicy } from './repository.policy';
import type { RigCredentialFiles } from './rig.credentials';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function uuidDirs(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory() && UUID.test(d.name)).map((d) => d.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * The replica's repository of each rig: one RigRepository per rig, so that every git operation
 * on a rig's clone goes through the one queue that keeps them apart.
 */
export class RigWorkspaces {
  private readonly logger = new Logger('git-runner');
  private readonly repositories = new Map<string, RigRepository>();

  constructor(
    private readonly layout: DataLayout,
    private readonly policy: RepositoryPolicy,
    private readonly truth: Pick<JobTruth, 'credentials'>,
    private readonly secrets: SecretKeyring,
    private readonly credentialFiles: RigCredentialFiles,
  ) {}

  repository(rig: RigInfo): RigRepository {
    let repository = this.repositories.get(rig.rigId);
    if (!repository) {
      repository = new RigRepository({
        rigId: rig.rigId,
        gitUrl: rig.gitUrl,
        defaultBranch: rig.defaultBranch,
        dir: this.layout.rigDir(rig.townId, rig.rigId),
        ambientCredentials: this.policy.ambientCredentials,
        // Checked again at every fetch and push: a DNS answer, an owner or the rig's credentials may have changed since registration.
        connection: async () => {
          const checked = await this.policy.connect(rig.townId, rig.gitUrl);
          const sealed = await this.truth.credentials(rig.townId, rig.rigId);
          // Opened for this town's rig only: a copy sealed for another rig or town does not open here.
          const credentials = sealed ? openRigCredentials(this.secrets, rig.townId, rig.rigId, sealed) : undefined;
          return this.credentialFiles.connection(rig.gitUrl, checked, credentials);
        },
      });
      this.repositories.set(rig.rigId, repository);
    }
    return repository;
  }

  /**
   * Run once at start, before any job: clears what a killed predecessor left in every rig on disk
   * (locks, half-done merges, scratch and half-created worktrees) and removes its agent worktrees,
   * whose attempts another replica reports lost. The next job then redoes its step from origin.
   */
  async recoverAll(truth: JobTruth): Promise<void> {
    for (const townId of await uuidDirs(this.layout.rigsDir)) {
      for (const rigId of await uuidDirs(this.layout.townDir(townId))) {
        const rig = await truth.rig(townId, rigId);
        if (!rig) {
          this.logger.warn(`rig ${rigId} of town ${townId} is on disk but not registered: left alone`);
          continue;
        }
        const repository = this.repository(rig);
        const report = await repository.recover();
        const leftovers = await repository.worktreeKeys();
        for (const key of leftovers) await repository.removeWorktree(key);
        const found = [
          ...report.removedLocks.map((lock) => `lock ${lock}`),
          ...report.abortedMerges.map((path) => `merge in ${path}`),
          ...report.abortedRebases.map((path) => `rebase in ${path}`),
          ...report.removedWorktrees.map((path) => `worktree ${path}`),
          ...leftovers.map((key) => `agent worktree ${key}`),
        ];
        this.logger.log(`recovered rig ${rig.name} (${rigId})${found.length > 0 ? `: cleared ${found.join(', ')}` : ': clean'}`);
      }
    }
  }
}
