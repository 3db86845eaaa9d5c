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
    // Whatever a running agent removes meanwhile is not there to count; it must not end the count.
    const entries = await opendir(next).catch(() => null);
    if (!entries) continue;
    for await (const entry of entries) {
      const path = join(next, entry.name);
      const stat = await lstat(path).catch(() => null);
      if (!stat) continue;
      bytes += stat.blocks * 512;
      if (bytes > limit) return { bytes, over: true };
      if (stat.isDirectory()) pending.push(path);
    }
  }
  return { bytes, over: false };
}

/** The shortest pause between two measures of a running sandbox's disk use. */
const DISK_CHECK_MS = 1_000;
/** A measure may take at most this share of the time: a large worktree is measured less often. */
const DISK_CHECK_SHARE = 10;

/**
 * Stops a run once what it holds on the runner's disk passes GIT_RUNNER_SANDBOX_WORKTREE_MB: its
 * worktree, and what it added to the git directories of the clone it may write (objects, refs,
 * logs). The check after the run (worktreeTooLarge) alone would let an agent fill the disk every
 * town shares before it ends; measured while it runs, it writes at most about a measure's
 * interval of writes past the limit.
 */
export class DiskGuard {
  /** Why the run was stopped, once it was. */
  reached: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  private constructor(
    private readonly worktree: string,
    private readonly gitDirs: readonly { dir: string; before: number }[],
    private readonly limitMb: number,
    private readonly stopRun: () => void,
  ) {}

  /** Measures the git directories as they are before the run, then watches until stop(). */
  static async watch(worktree: string, gitDirs: readonly string[], limitMb: number, stopRun: () => void): Promise<DiskGuard> {
    const before = await Promise.all(gitDirs.map(async (dir) => ({ dir, before: (await diskUsageUpTo(dir, Number.MAX_SAFE_INTEGER / MIB)).bytes })));
    const guard = new DiskGuard(worktree, before, limitMb, stopRun);
    guard.schedule(DISK_CHECK_MS);
    return guard;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.check(), ms);
    this.timer.unref();
  }

  private async check(): Promise<void> {
    const started = Date.now();
    const held = await this.held();
    if (this.stopped) return;
    if (held !== undefined) {
      this.reached =
        `disk limit ${this.limitMb} MB reached: the worktree and what the run added to its clone's git directories held ` +
        `${Math.ceil(held / MIB)} MB or more (GIT_RUNNER_SANDBOX_WORKTREE_MB); stopped while running`;
      this.stop();
      this.stopRun();
      return;
    }
    this.schedule(Math.max(DISK_CHECK_MS, (Date.now() - started) * DISK_CHECK_SHARE));
  }

  /** What the run holds, once it is past the limit; undefined while it is within. */
  private async held(): Promise<number | undefined> {
    const limit = this.limitMb * MIB;
    const worktree = await diskUsageUpTo(this.worktree, this.limitMb);
    let total = worktree.bytes;
    if (worktree.over) return total;
    for (const { dir, before } of this.gitDirs) {
      const now = await diskUsageUpTo(dir, (before + limit - total) / MIB);
      total += Math.max(0, now.bytes - before);
      if (total > limit) return total;
    }
    return undefined;
  }
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
