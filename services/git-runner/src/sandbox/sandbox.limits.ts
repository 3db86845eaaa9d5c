/**
 * What one sandboxed run (an agent attempt or a check) may take of its host. A town's agent may
 * exhaust its own attempt, never the machine, the runner or another town's agents: memory,
 * processes and CPU through a cgroup per run (sandbox.cgroup.ts), file sizes and open files
 * through rlimits, /tmp and HOME through the size of their tmpfs, and the worktree through a
 * size check before anything of it is committed.
 */
export interface SandboxLimits {
  /** Memory of every process of the run together, tmpfs pages included (GIT_RUNNER_SANDBOX_MEMORY_MB). */
  readonly memoryMb: number;
  /** Processes and threads of the run together (GIT_RUNNER_SANDBOX_PIDS). */
  readonly pids: number;
  /** CPU time per wall-clock time, 1.5 = one and a half cores (GIT_RUNNER_SANDBOX_CPUS). */
  readonly cpus: number;
  /** Each of the private /tmp and HOME (GIT_RUNNER_SANDBOX_TMP_MB). */
  readonly tmpMb: number;
  /** The largest file a process of the run may write, RLIMIT_FSIZE (GIT_RUNNER_SANDBOX_FILE_MB). */
  readonly fileMb: number;
  /** What an agent's worktree may hold when it finishes (GIT_RUNNER_SANDBOX_WORKTREE_MB). */
  readonly worktreeMb: number;
}

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = { memoryMb: 2048, pids: 256, cpus: 1, tmpMb: 512, fileMb: 1024, worktreeMb: 4096 };

/**
 * Whether runs get a cgroup (GIT_RUNNER_SANDBOX_CGROUPS): `auto` uses one when the host allows it
 * and warns loudly otherwise, `required` refuses to run anything without one, `off` applies the
 * rlimits only.
 */
export type CgroupMode = 'auto' | 'required' | 'off';

export const MIB = 1024 * 1024;

/**
 * Open files per process: enough for compilers and test runners, and with the process limit a
 * bound on the kernel's file table a run can take.
 */
export const SANDBOX_OPEN_FILES = 8192;

/**
 * prlimit's options (util-linux) for the rlimits of a run, set as soft and hard limits so nothing
 * inside can raise them. RLIMIT_NPROC is not among them: it counts every process of the user, and
 * all sandboxes share one uid (and as root it does not apply at all), so the pids cgroup bounds
 * processes instead. RLIMIT_AS neither: node and other JITs reserve far more address space than
 * they use; the memory cgroup bounds what is really used.
 */
export function rlimitOptions(limits: Pick<SandboxLimits, 'fileMb'>): string[] {
  return [`--fsize=${limits.fileMb * MIB}`, `--nofile=${SANDBOX_OPEN_FILES}`, '--core=0'];
}

/** The limits in one line, for the runner's start-up log. */
export function describeLimits(limits: SandboxLimits, cgroup: string | undefined): string {
  const files = `files up to ${limits.fileMb} MB, /tmp and HOME ${limits.tmpMb} MB each, worktree ${limits.worktreeMb} MB`;
  if (!cgroup) return `${files}; no memory, process or CPU limit (no cgroup)`;
  return `memory ${limits.memoryMb} MB, ${limits.pids} processes, ${limits.cpus} CPU (${cgroup}), ${files}`;
}
