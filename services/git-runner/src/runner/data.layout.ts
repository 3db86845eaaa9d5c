import { join } from 'node:path';

/**
 * Where a replica keeps its files, under its data directory and the namespace (two
 * installations sharing a disk never recover each other's rigs):
 *
 *     <data>/<namespace>/runner.pid                         the replica that owns the directory
 *     <data>/<namespace>/rigs/<town>/<rig>/                 clone, agent worktrees, merge scratch
 *     <data>/<namespace>/prompts/                           every prompt as the agent received it
 *     <data>/<namespace>/logs/<convoy>/<bead>-a<n>.log      every attempt's output
 *     <data>/<namespace>/agents/<key>.json                  the process group of each running agent
 *     <data>/<namespace>/probe/                             an empty working directory for ls-remote
 *     <data>/<namespace>/credentials/                       a rig's deploy key, 0600, while one git command runs (0700)
 *
 * Prompts and logs stay outside the worktrees, so nothing of them can be committed.
 */
export class DataLayout {
  readonly root: string;

  constructor(dataDir: string, namespace: string) {
    this.root = join(dataDir, namespace);
  }

  get lockFile(): string {
    return join(this.root, 'runner.pid');
  }

  get rigsDir(): string {
    return join(this.root, 'rigs');
  }

  townDir(townId: string): string {
    return join(this.rigsDir, townId);
  }

  rigDir(townId: string, rigId: string): string {
    return join(this.townDir(townId), rigId);
  }

  get promptDir(): string {
    return join(this.root, 'prompts');
  }

  agentLog(convoyId: string, beadId: string, attempt: number): string {
    return join(this.root, 'logs', convoyId, `${beadId}-a${attempt}.log`);
  }

  get probeDir(): string {
    return join(this.root, 'probe');
  }

  /** No sandbox mounts the data directory: an agent never sees a key written here. */
  get credentialsDir(): string {
    return join(this.root, 'credentials');
  }

  get agentsDir(): string {
    return join(this.root, 'agents');
  }

  agentRecord(worktreeKey: string): string {
    return join(this.agentsDir, `${worktreeKey}.json`);
  }
}
