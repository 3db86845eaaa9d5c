import { lstat, opendir } from 'node:fs/promises';
import { join } from 'node:path';
import { MIB } from './sandbox.limits';

/**
 * What the files under `dir` take on disk (allocated blocks, so a sparse file counts for what it
 * really holds), counted until the count passes `limitMb`: the walk costs at most what the limit
 * allows, whatever an agent wrote. Symbolic links are not followed.
 */
export async function diskUsageUpTo(dir: string, limitMb: number): Promise<{ bytes: number; over: boolean }> {
  const limit = limitMb * MIB;
  let bytes = 0;
  const pending = [dir];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    for await (const entry of await opendir(next)) {
      const path = join(next, entry.name);
      const stat = await lstat(path);
      bytes += stat.blocks * 512;
      if (bytes > limit) return { bytes, over: true };
      if (stat.isDirectory()) pending.push(path);
    }
  }
  return { bytes, over: false };
}

/**
 * Why an agent's worktree may not be committed: it grew past GIT_RUNNER_SANDBOX_WORKTREE_MB. The
 * worktree lies on the runner's disk, shared by every town, and what an agent leaves there would
 * otherwise be committed, pushed and kept until the attempt's worktree is removed.
 */
export async function worktreeTooLarge(workdir: string, limitMb: number): Promise<string | undefined> {
  const { bytes, over } = await diskUsageUpTo(workdir, limitMb);
  if (!over) return undefined;
  return `worktree grew to ${Math.ceil(bytes / MIB)} MB or more > limit ${limitMb} MB (GIT_RUNNER_SANDBOX_WORKTREE_MB); nothing of it was committed or pushed`;
}
