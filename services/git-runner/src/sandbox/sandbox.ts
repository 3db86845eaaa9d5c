import type { ChildProcess } from 'node:child_process';
import { BwrapSandbox } from './sandbox.bwrap';
import type { WorktreeGit } from './sandbox.git';
import type { CgroupMode, SandboxLimits, TownLimits } from './sandbox.limits';
import { UnconfinedSandbox } from './sandbox.none';

/**
 * Where agents and checks run. Everything a town sends (a rig's agent command, its checks, what
 * its agents write) is hostile input, so the runner never starts it as itself: it hands it to a
 * sandbox. `bwrap` (sandbox.bwrap.ts) confines it with Linux namespaces; `none`
 * (sandbox.none.ts) runs it as the runner and exists for single-user development only.
 *
 * Another isolation (gVisor's runsc, a Firecracker microVM, a Kubernetes Job) plugs in by
 * implementing this interface: start `argv` with `worktree` as its writable current directory,
 * the `readOnly` paths and a toolchain readable, `env` as its whole environment, no network
 * unless `network`, its stdio on the given descriptors, and stop everything it started when the
 * returned process's group is signalled.
 */
export interface SandboxSpec {
  /** Program and arguments, never a shell line. */
  readonly argv: readonly string[];
  /** Bound read-write at its own path and the process's current directory; nothing else of the runner's data is visible. */
  readonly worktree: string;
  /** Files and directories the process may read at their own paths (a prompt file, the demo agent's sources). */
  readonly readOnly?: readonly string[];
  /**
   * The worktree's git metadata, readable so that `git status` and `git diff` work: its own admin
   * directory and the clone's objects and refs, never the clone's hooks.
   */
  readonly git?: WorktreeGit;
  /** Whether the process may also write that metadata, so that `git add` and `git commit` work (agents commit). */
  readonly gitWritable?: boolean;
  /** The whole environment of the process, already filtered by the caller. */
  readonly env: Readonly<Record<string, string>>;
  /** Off unless an operator's profile allows it. */
  readonly network: boolean;
  /**
   * The town the run is for: a town's runs share its cgroup, with one CPU weight per town and the
   * town's caps (GIT_RUNNER_TOWN_*). Absent for the runner's own probe.
   */
  readonly town?: string;
  /** stdin, stdout and stderr: a descriptor, 'pipe' or 'ignore', as for child_process.spawn. */
  readonly stdio: readonly [number | 'pipe' | 'ignore', number | 'pipe' | 'ignore', number | 'pipe' | 'ignore'];
}

export interface SandboxExit {
  /** Null when a signal ended it. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The resource limit the run reached ("memory limit 2048 MB reached…"), when one did. */
  readonly limit?: string;
}

export interface SandboxProcess {
  /** The started process (for its stdio pipes); its pid is also the id of a process group of its own. */
  readonly child: ChildProcess;
  readonly pid: number;
  /** Settles when the started process exited and nothing else of the run is left. */
  readonly exited: Promise<SandboxExit>;
  /** Settles once it exited and its stdio pipes are closed. */
  readonly closed: Promise<SandboxExit>;
  /** Sends a signal to everything started in the sandbox; one already gone is not an error. */
  signal(signal: NodeJS.Signals): void;
  /**
   * Whether anything started in the sandbox still runs. With a namespace the last processes may
   * go a moment after the started one: a stop is complete only once this is false.
   */
  running(): boolean;
}

/** What the probe found, for the runner's start-up log. */
export interface SandboxReport {
  /** The limits every run gets, in one line; absent when runs are unconfined. */
  readonly limits?: string;
  /** A limit the operator expects but this host cannot give (no cgroup), to be logged loudly. */
  readonly warning?: string;
}

export interface Sandbox {
  readonly kind: 'bwrap' | 'none';
  /** What each run may take of the host; absent when runs are unconfined. */
  readonly limits?: SandboxLimits;
  /**
   * Starts a confined process and resolves once it runs. Rejects, leaving nothing running, when
   * it cannot be started (a program not found inside has the error code ENOENT, as spawn's would).
   */
  spawn(spec: SandboxSpec): Promise<SandboxProcess>;
  /**
   * Runs `true` inside a throw-away sandbox, with the limits of a run; rejects with
   * SandboxUnavailableError saying what failed.
   */
  probe(): Promise<SandboxReport>;
}

/** The operator's choice (GIT_RUNNER_SANDBOX and its settings, see git-runner.config.ts). */
export type SandboxSettings =
  | {
      readonly kind: 'bwrap';
      readonly bwrapPath: string;
      readonly uid: number;
      readonly gid: number;
      readonly readOnly: readonly string[];
      readonly limits: SandboxLimits;
      readonly cgroups: CgroupMode;
      /** Only the town caps the operator set. */
      readonly town?: Partial<TownLimits>;
    }
  | { readonly kind: 'none' };

export function createSandbox(settings: SandboxSettings): Sandbox {
  return settings.kind === 'bwrap' ? new BwrapSandbox(settings) : new UnconfinedSandbox();
}
