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
  /** What a run may hold on the runner's disk, its worktree and the git objects it adds (GIT_RUNNER_SANDBOX_WORKTREE_MB). */
  readonly worktreeMb: number;
  /**
   * Refused forks after which the run is killed as a fork storm, 0 for never
   * (GIT_RUNNER_SANDBOX_FORK_FAILURES). A run held at its process limit that keeps forking slows
   * every other run's start on the host: each join of a cgroup waits for the forks in progress.
   */
  readonly forkFailures: number;
}

/**
 * 50 refused forks: a fork bomb passes that within a second of reaching its limit, while a build
 * that runs into the limit gets a few refusals at most (make, node and most tools give up on the
 * first EAGAIN; bash retries a fork a handful of times, seconds apart).
 */
export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = { memoryMb: 2048, pids: 256, cpus: 1, tmpMb: 512, fileMb: 1024, worktreeMb: 4096, forkFailures: 50 };

/**
 * What all runs of one town together may take of the host, whatever the number of them: the
 * dispatcher may give a town many agents at once (DISPATCHER_MAX_AGENTS_PER_TOWN), each capped
 * only on its own. The town's cgroup, parent of its runs' (sandbox.cgroup.ts), holds these caps and
 * one CPU weight, the same for every town.
 */
export interface TownLimits {
  /** CPU time of the town's runs together per wall-clock time (GIT_RUNNER_TOWN_CPUS). */
  readonly cpus: number;
  /** Memory of the town's runs together (GIT_RUNNER_TOWN_MEMORY_MB). */
  readonly memoryMb: number;
  /** Processes and threads of the town's runs together (GIT_RUNNER_TOWN_PIDS). */
  readonly pids: number;
}

/** Four runs' worth of processes: builds in a few runs at once fit, a fork bomb in all of a town's runs holds a small part of the host's pid_max. */
const TOWN_RUNS_OF_PIDS = 4;

/**
 * The town caps the operator did not choose. CPU: every core but one, so that one town's busy runs
 * always leave a core to the other towns and the runner (never less than one run's share). Memory:
 * half the host's, so that one town alone cannot drive the host into its out-of-memory killer
 * (never less than one run's). Processes: four runs' worth.
 */
export function townLimitsOf(run: SandboxLimits, chosen: Partial<TownLimits>, host: { cores: number; memoryMb: number }): TownLimits {
  return {
    cpus: chosen.cpus ?? Math.max(run.cpus, host.cores - 1),
    memoryMb: chosen.memoryMb ?? Math.max(run.memoryMb, Math.floor(host.memoryMb / 2)),
    pids: chosen.pids ?? run.pids * TOWN_RUNS_OF_PIDS,
  };
}

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

/** SIGXFSZ, as a shell reports a child it killed: 128 + 25. */
const FSIZE_EXIT_CODE = 153;

/**
 * The file size limit, when it is what ended the run: a process killed by SIGXFSZ, or a shell
 * passing that death on as its exit code. Without it the town would read only "exit code 153".
 */
export function fileSizeLimitReached(exit: { code: number | null; signal: NodeJS.Signals | null }, limits: Pick<SandboxLimits, 'fileMb'>): string | undefined {
  if (exit.signal === 'SIGXFSZ') return `file size limit ${limits.fileMb} MB reached (killed by SIGXFSZ)`;
  if (exit.code === FSIZE_EXIT_CODE) return `file size limit ${limits.fileMb} MB reached (exit code 153, SIGXFSZ)`;
  return undefined;
}

/** The limits in one line, for the runner's start-up log. */
export function describeLimits(limits: SandboxLimits, cgroup: string | undefined, town?: TownLimits): string {
  const files = `files up to ${limits.fileMb} MB, /tmp and HOME ${limits.tmpMb} MB each, worktree ${limits.worktreeMb} MB`;
  if (!cgroup) return `${files}; no memory, process or CPU limit (no cgroup)`;
  const perRun = `memory ${limits.memoryMb} MB, ${limits.pids} processes, ${limits.cpus} CPU (${cgroup}), ${files}`;
  return town ? `${perRun}; each town's runs together: memory ${town.memoryMb} MB, ${town.pids} processes, ${town.cpus} CPU, an equal CPU weight per town` : perRun;
}
