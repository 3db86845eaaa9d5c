import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Another live process already works in this data directory. */
export class DataDirInUseError extends Error {
  constructor(
    readonly lockFile: string,
    readonly pid: number,
  ) {
    super(`${lockFile} belongs to the running process ${pid}: give every git-runner replica its own GIT_RUNNER_DATA_DIR`);
    this.name = 'DataDirInUseError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function holderOf(lockFile: string): number | undefined {
  try {
    const pid = Number(readFileSync(lockFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A pid file that keeps two replicas out of one data directory: their git operations would
 * share a clone, and the per-instance queue of a RigRepository only orders one process's work.
 * It guards against a configuration mistake, not against a determined race: two replicas
 * starting in the same millisecond over a stale file could both pass.
 */
export class DataDirLock {
  private held = false;

  constructor(private readonly lockFile: string) {}

  acquire(): void {
    mkdirSync(dirname(this.lockFile), { recursive: true });
    for (;;) {
      try {
        writeFileSync(this.lockFile, `${process.pid}\n`, { flag: 'wx' });
        this.held = true;
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = holderOf(this.lockFile);
      if (holder !== undefined && holder !== process.pid && alive(holder)) throw new DataDirInUseError(this.lockFile, holder);
      // Left by a replica that died (SIGKILL runs no clean-up): it is ours now.
      rmSync(this.lockFile, { force: true });
    }
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    if (holderOf(this.lockFile) === process.pid) rmSync(this.lockFile, { force: true });
  }
}
