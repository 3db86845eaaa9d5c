import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { MIB, type SandboxLimits, type TownLimits } from './sandbox.limits';

/**
 * Where this process's cgroups are and which version: v2 when this process's own cgroup offers
 * the memory and pids controllers (a systemd unit with `Delegate=yes`, a container with its own
 * cgroup namespace), otherwise v1's memory and pids hierarchies (with cpu and freezer when mounted).
 * Runs' cgroups are created under this process's own, so they count against whatever limits the
 * host put on the runner.
 */
export type CgroupHost =
  | { readonly version: 2; readonly dir: string; readonly controllers: readonly string[] }
  | { readonly version: 1; readonly dirs: V1Dirs };

/**
 * One directory per v1 hierarchy. No more than the limits need: joining each is a write to its
 * cgroup.procs, and every such write waits, host-wide, for the forks in progress.
 */
type V1Dirs = { readonly memory: string; readonly pids: string; readonly cpu?: string; readonly freezer?: string };

interface Mount {
  readonly fstype: string;
  /** The path of the hierarchy this mount shows (not "/" when only a subtree is mounted). */
  readonly root: string;
  readonly mountPoint: string;
  readonly superOptions: readonly string[];
}

/** /proc/self/mountinfo's cgroup mounts; octal escapes (\040) in paths decoded. */
export function cgroupMounts(mountinfo: string): Mount[] {
  const unescape = (path: string) => path.replace(/\\([0-7]{3})/g, (_, code: string) => String.fromCharCode(parseInt(code, 8)));
  return mountinfo
    .split('\n')
    .map((line) => {
      const [fields = '', rest = ''] = line.split(' - ');
      const [, , , root = '', mountPoint = ''] = fields.split(' ');
      const [fstype = '', , superOptions = ''] = rest.split(' ');
      return { fstype, root: unescape(root), mountPoint: unescape(mountPoint), superOptions: superOptions.split(',') };
    })
    .filter((mount) => mount.fstype === 'cgroup' || mount.fstype === 'cgroup2');
}

/** /proc/self/cgroup: this process's path in each hierarchy, by controller ("" for v2's unified one). */
export function ownCgroups(procCgroup: string): Map<string, string> {
  const paths = new Map<string, string>();
  for (const line of procCgroup.split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!match) continue;
    const [, controllers = '', path = ''] = match;
    if (controllers === '') paths.set('', path);
    for (const controller of controllers.split(',')) if (controller) paths.set(controller, path);
  }
  return paths;
}

/** The directory of a cgroup path in a mount, or undefined when the mount does not show it (a container's). */
function dirIn(mount: Mount, path: string): string | undefined {
  const rel = posix.relative(mount.root, path);
  if (rel.startsWith('..')) return undefined;
  return join(mount.mountPoint, rel);
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** This process's cgroups, or why there are none it could use. */
export function findCgroupHost(mountinfo = read('/proc/self/mountinfo'), procCgroup = read('/proc/self/cgroup')): CgroupHost | { unavailable: string } {
  const mounts = cgroupMounts(mountinfo);
  const own = ownCgroups(procCgroup);
  const unified = mounts.find((mount) => mount.fstype === 'cgroup2');
  const unifiedDir = unified && own.has('') ? dirIn(unified, own.get('') as string) : undefined;
  if (unifiedDir) {
    const controllers = read(join(unifiedDir, 'cgroup.controllers')).trim().split(/\s+/);
    if (controllers.includes('memory') && controllers.includes('pids')) return { version: 2, dir: unifiedDir, controllers };
  }
  const v1 = (controller: string) => {
    const mount = mounts.find((m) => m.fstype === 'cgroup' && m.superOptions.includes(controller));
    const path = own.get(controller);
    return mount && path !== undefined ? dirIn(mount, path) : undefined;
  };
  const memory = v1('memory');
  const pids = v1('pids');
  if (memory && pids) {
    const cpu = v1('cpu');
    const freezer = v1('freezer');
    return { version: 1, dirs: { memory, pids, ...(cpu ? { cpu } : {}), ...(freezer ? { freezer } : {}) } };
  }
  return {
    unavailable: unified
      ? `the cgroup v2 at ${unified.mountPoint} does not delegate the memory and pids controllers to this process's cgroup, and no cgroup v1 memory and pids hierarchies are mounted`
      : 'no cgroup v2 or cgroup v1 memory and pids hierarchies are mounted',
  };
}

let sequence = 0;
const CPU_PERIOD_US = 100_000;

/**
 * Under the runner's own cgroup, the parent of every town's cgroup: `gastown-towns/town-<id>/run-<pid>-<n>`.
 * Not `gastown-runner`, which on cgroup v2 is the leaf the runner's own processes move into.
 */
export const TOWNS_DIR = 'gastown-towns';
/** The runs no town asked for: the start-up probe. No town id can be named this way (town ids are `town-…`). */
const NO_TOWN = 'no-town';
const RUN = /^run-(\d+)-\d+$/;
/** The layout before town cgroups: runs directly under the runner's own cgroup. */
const FLAT_RUN = /^gastown-sandbox-(\d+)-\d+$/;
/** cgroup v1's default cpu.shares and cgroup v2's default cpu.weight: every town the same. */
const TOWN_CPU_SHARES = 1024;
const TOWN_CPU_WEIGHT = 100;

/**
 * A town's cgroup name. Town ids are UUIDs and used as they are, so an operator finds a town's
 * cgroup by its id; anything else (a "/" or ".." would escape the directory) by a hash of it.
 */
export function townCgroupName(townId: string | undefined): string {
  if (townId === undefined) return NO_TOWN;
  return /^[A-Za-z0-9-]{1,64}$/.test(townId) ? `town-${townId}` : `town-${createHash('sha256').update(townId).digest('hex').slice(0, 32)}`;
}

/** What a town's cgroup gets written, by controller, in this order (a file the kernel lacks, such as memsw without swap accounting, is skipped). */
export function townCgroupFiles(version: 1 | 2, town: TownLimits): { controller: 'memory' | 'pids' | 'cpu'; file: string; value: string }[] {
  const memory = String(town.memoryMb * MIB);
  const quota = String(Math.round(town.cpus * CPU_PERIOD_US));
  if (version === 1) {
    return [
      { controller: 'memory', file: 'memory.limit_in_bytes', value: memory },
      { controller: 'memory', file: 'memory.memsw.limit_in_bytes', value: memory },
      { controller: 'pids', file: 'pids.max', value: String(town.pids) },
      { controller: 'cpu', file: 'cpu.shares', value: String(TOWN_CPU_SHARES) },
      { controller: 'cpu', file: 'cpu.cfs_period_us', value: String(CPU_PERIOD_US) },
      { controller: 'cpu', file: 'cpu.cfs_quota_us', value: quota },
    ];
  }
  return [
    { controller: 'memory', file: 'memory.max', value: memory },
    { controller: 'pids', file: 'pids.max', value: String(town.pids) },
    { controller: 'cpu', file: 'cpu.weight', value: String(TOWN_CPU_WEIGHT) },
    { controller: 'cpu', file: 'cpu.max', value: `${quota} ${CPU_PERIOD_US}` },
  ];
}

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

function ensureDir(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (error) {
    if (errno(error) !== 'EEXIST') throw error;
  }
}

/** Whether a process with this pid exists (one we may not signal does). */
function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errno(error) === 'EPERM';
  }
}

/**
 * rmdir of a cgroup is refused (EBUSY) while it holds a process or a child cgroup: removing is its
 * own emptiness check, with no race. True once the directory is gone.
 */
function removeIfEmpty(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (error) {
    return errno(error) === 'ENOENT';
  }
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}

/**
 * Which runs a sweep takes, by the runner pid in their names: at a runner's start, those of
 * runners that are gone; for a runner's watchdog, that runner's own once it died (its pid may
 * still exist a moment, as a zombie its parent has not reaped).
 */
export type RunsOf = (runnerPid: number) => boolean;

const runnerGone: RunsOf = (pid) => !pidExists(pid);

/**
 * Removes the run cgroups in `dir` that `whose` takes, killing what is still in them first: a run
 * whose runner is gone has nobody to take its result or enforce its timeout (its job is
 * redelivered to a live runner), and a runner killed between freezing and thawing a run leaves its
 * processes frozen for good. A launcher may still be joining a run as its runner dies: it either
 * joins before the removal and is killed, or finds the cgroup gone and exits.
 */
function sweepRuns(dir: string, pattern: RegExp, whose: RunsOf): void {
  for (const name of subdirs(dir)) {
    const pid = pattern.exec(name)?.[1];
    if (pid === undefined || !whose(Number(pid))) continue;
    const run = join(dir, name);
    // Bounded: a fork bomb adds members while they are killed, but its pids limit caps how many.
    for (let round = 0; round < 10; round++) {
      // Killed members leave the cgroup once reaped: give them a moment (stale runs only).
      if (round > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      const members = existsSync(join(run, 'cgroup.procs')) ? pidsOf(join(run, 'cgroup.procs')) : [];
      // Removing may still fail: a launcher joined since the read.
      if (members.length === 0 && removeIfEmpty(run)) break;
      members.forEach(kill);
      // A frozen process takes its SIGKILL when thawed.
      if (existsSync(join(run, 'freezer.state'))) {
        try {
          writeFileSync(join(run, 'freezer.state'), 'THAWED');
        } catch {
          // Removed meanwhile by another sweep (a starting runner's): nothing left to thaw.
        }
      }
    }
  }
}

/**
 * Removes the run cgroups `whose` takes under the runner's own cgroup (by default those named by a
 * pid that no longer exists), then empty town cgroups and their parent. A cgroup that still holds
 * a process or a run is left as it is, so another runner sharing this cgroup (on this host, in
 * this pid namespace) loses nothing: a town cgroup it is about to use is created again. Never throws.
 */
export function sweepRunCgroups(host: CgroupHost, whose: RunsOf = runnerGone): void {
  // The freezer's first: a frozen process dies only once thawed, and holds every other hierarchy's run until then.
  const own = host.version === 2 ? [host.dir] : [...new Set([host.dirs.freezer, host.dirs.memory, host.dirs.pids, host.dirs.cpu])].filter((dir) => dir !== undefined);
  for (const dir of own) {
    sweepRuns(dir, FLAT_RUN, whose);
    const towns = join(dir, TOWNS_DIR);
    for (const town of subdirs(towns)) {
      sweepRuns(join(towns, town), RUN, whose);
      removeIfEmpty(join(towns, town));
    }
    removeIfEmpty(towns);
  }
}

/**
 * Creates one cgroup per sandboxed run, in one cgroup per town, under the runner's own. Every
 * town's cgroup has the same CPU weight, so a town with many busy runs gets the share of a town
 * with one, and the town caps (TownLimits) bound its runs together.
 *
 * Town cgroups stay while the runner lives: removing one when its last run ends would race with
 * the next run of the town creating its own in it. A runner's watchdog removes what the runner
 * leaves the moment it dies, and a runner's start what any dead one left (sweep).
 */
export class RunCgroups {
  private prepared = false;

  constructor(
    private readonly host: CgroupHost,
    private readonly town: TownLimits,
  ) {}

  /** `cgroup v1` or `cgroup v2`, for the runner's start-up log. */
  get name(): string {
    return `cgroup v${this.host.version}`;
  }

  /**
   * A new cgroup with the run's limits in the town's, empty until the launcher joins it. Throws
   * when the host does not let this process create one (not root, no delegation).
   */
  create(limits: SandboxLimits, townId?: string): RunCgroup {
    const name = `run-${process.pid}-${++sequence}`;
    // A run may not take more CPU than its town: cgroup v1 refuses a child quota above its parent's.
    const run = { ...limits, cpus: Math.min(limits.cpus, this.town.cpus) };
    const town = townCgroupName(townId);
    for (let attempt = 1; ; attempt++) {
      try {
        if (this.host.version === 2) {
          this.delegate(this.host.dir, this.host.controllers);
          const dir = this.townDir(this.host.dir, town, this.host.controllers);
          return RunCgroup.v2(join(dir, name), this.host.controllers, run, this.town);
        }
        const dirs = this.host.dirs;
        const inTown = (dir: string | undefined) => (dir === undefined ? undefined : join(dir, TOWNS_DIR, town));
        this.townDirsV1(dirs, town);
        const parents = { memory: inTown(dirs.memory) as string, pids: inTown(dirs.pids) as string, cpu: inTown(dirs.cpu), freezer: inTown(dirs.freezer) };
        return RunCgroup.v1(parents, name, run, this.town);
      } catch (error) {
        // Another runner on this host, starting, removed the town's cgroup between its creation and the run's: create both again.
        if (errno(error) !== 'ENOENT' || attempt === 3) throw error;
      }
    }
  }

  /**
   * Removes what runners that are gone (a crash, a SIGKILL) left: their run cgroups, killing what
   * is still in them, then empty town cgroups (sweepRunCgroups). A runner's watchdog does the same
   * for its own runs the moment it dies (sandbox.watchdog.ts).
   */
  sweep(): void {
    sweepRunCgroups(this.host);
  }

  private townDirsV1(dirs: V1Dirs, town: string): void {
    const byController = { memory: dirs.memory, pids: dirs.pids, cpu: dirs.cpu };
    for (const dir of new Set(Object.values(dirs))) {
      ensureDir(join(dir, TOWNS_DIR));
      ensureDir(join(dir, TOWNS_DIR, town));
    }
    for (const { controller, file, value } of townCgroupFiles(1, this.town)) {
      const dir = byController[controller];
      const path = dir === undefined ? undefined : join(dir, TOWNS_DIR, town, file);
      if (path !== undefined && existsSync(path)) writeFileSync(path, value);
    }
  }

  /** On v2 each level hands the controllers down to the next: the towns' parent, then the town. */
  private townDir(dir: string, town: string, controllers: readonly string[]): string {
    const wanted = delegated(controllers).map((controller) => `+${controller}`).join(' ');
    const towns = join(dir, TOWNS_DIR);
    ensureDir(towns);
    writeFileSync(join(towns, 'cgroup.subtree_control'), wanted);
    const townDir = join(towns, town);
    ensureDir(townDir);
    writeFileSync(join(townDir, 'cgroup.subtree_control'), wanted);
    for (const { controller, file, value } of townCgroupFiles(2, this.town)) {
      if (controllers.includes(controller)) writeFileSync(join(townDir, file), value);
    }
    return townDir;
  }

  /**
   * cgroup v2 lets a cgroup hand controllers to its children only while no process is in it:
   * the runner's own processes move into a leaf of their own first, as with systemd's Delegate=yes.
   */
  private delegate(dir: string, controllers: readonly string[]): void {
    if (this.prepared) return;
    const wanted = delegated(controllers);
    const enabled = read(join(dir, 'cgroup.subtree_control')).trim().split(/\s+/);
    if (!wanted.every((controller) => enabled.includes(controller))) {
      const leaf = join(dir, 'gastown-runner');
      mkdirSync(leaf, { recursive: true });
      for (const pid of pidsOf(join(dir, 'cgroup.procs'))) {
        try {
          writeFileSync(join(leaf, 'cgroup.procs'), String(pid));
        } catch (error) {
          if (errno(error) !== 'ESRCH') throw error;
        }
      }
      writeFileSync(join(dir, 'cgroup.subtree_control'), wanted.map((controller) => `+${controller}`).join(' '));
    }
    this.prepared = true;
  }
}

/** The v2 controllers runs are limited by, among those the host offers. */
function delegated(controllers: readonly string[]): string[] {
  return ['memory', 'pids', 'cpu'].filter((controller) => controllers.includes(controller));
}

const POLL_MS = 5;
const EMPTY_WITHIN_MS = 5_000;
/**
 * How often a live run's refused forks are read. A timer, not a watch: cgroup v1 does not notify
 * changes of pids.events (inotify stays silent on Linux 6.18, measured), and one read of a small
 * file per live run each 50 ms costs nothing next to a storm's cost to every other run's start.
 */
const FORK_STORM_CHECK_MS = 50;

function pidsOf(procsFile: string): number[] {
  return read(procsFile)
    .split('\n')
    .filter((line) => line !== '')
    .map(Number);
}

/** A counter of a flat keyed file (memory.events, pids.events, memory.oom_control). */
function counter(file: string, key: string): number {
  const match = new RegExp(`^${key} (\\d+)$`, 'm').exec(read(file));
  return match ? Number(match[1]) : 0;
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

const pause = () => new Promise((resolve) => setTimeout(resolve, POLL_MS));

/** The cgroup of one run: the launcher joins it before bwrap starts, so everything of the run is in it. */
export class RunCgroup {
  private released: Promise<string | undefined> | undefined;
  private stormCheck: NodeJS.Timeout | undefined;
  private stoppedAsForkStorm = false;

  private constructor(
    /** Every directory of the run, one per v1 hierarchy; removed in this order. */
    private readonly dirs: readonly string[],
    /** The cgroup.procs files the launcher writes its pid to. */
    readonly procsFiles: readonly string[],
    private readonly files: RunFiles,
    private readonly limits: SandboxLimits,
    private readonly town: TownLimits,
  ) {}

  static v1(parents: { memory: string; pids: string; cpu?: string; freezer?: string }, name: string, limits: SandboxLimits, town: TownLimits): RunCgroup {
    const created: string[] = [];
    try {
      const make = (parent: string) => {
        const dir = join(parent, name);
        mkdirSync(dir);
        created.push(dir);
        return dir;
      };
      const memory = make(parents.memory);
      writeFileSync(join(memory, 'memory.limit_in_bytes'), String(limits.memoryMb * MIB));
      // With swap accounting, memory plus swap too: the limit must not spill into the host's swap.
      if (existsSync(join(memory, 'memory.memsw.limit_in_bytes'))) writeFileSync(join(memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryMb * MIB));
      const pids = make(parents.pids);
      writeFileSync(join(pids, 'pids.max'), String(limits.pids));
      if (parents.cpu) {
        const cpu = make(parents.cpu);
        writeFileSync(join(cpu, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
        writeFileSync(join(cpu, 'cpu.cfs_quota_us'), String(Math.round(limits.cpus * CPU_PERIOD_US)));
      }
      const freezer = parents.freezer ? make(parents.freezer) : undefined;
      const state = freezer && join(freezer, 'freezer.state');
      return new RunCgroup(
        created,
        created.map((dir) => join(dir, 'cgroup.procs')),
        {
          procs: join(pids, 'cgroup.procs'),
          memoryEvents: join(memory, 'memory.oom_control'),
          oomKey: 'oom_kill',
          // The peak: memory.failcnt would say it, but recent kernels do not count failures of memsw,
          // the first counter to refuse; memsw's peak, with swap accounting, since memory plus swap is what is limited.
          reachedOwnMemoryLimit: () =>
            Math.max(Number(read(join(memory, 'memory.max_usage_in_bytes')) || 0), Number(read(join(memory, 'memory.memsw.max_usage_in_bytes')) || 0)) >=
            (limits.memoryMb - 1) * MIB,
          pidsEvents: join(pids, 'pids.events'),
          pidsPeak: join(pids, 'pids.peak'),
          ...(state ? { freeze: { file: state, on: 'FROZEN', off: 'THAWED', frozen: () => read(state).trim() === 'FROZEN' } } : {}),
        },
        limits,
        town,
      );
    } catch (error) {
      for (const dir of created.reverse()) rmdirSync(dir);
      throw error;
    }
  }

  static v2(dir: string, controllers: readonly string[], limits: SandboxLimits, town: TownLimits): RunCgroup {
    mkdirSync(dir);
    try {
      writeFileSync(join(dir, 'memory.max'), String(limits.memoryMb * MIB));
      if (existsSync(join(dir, 'memory.swap.max'))) writeFileSync(join(dir, 'memory.swap.max'), '0');
      writeFileSync(join(dir, 'pids.max'), String(limits.pids));
      if (controllers.includes('cpu')) writeFileSync(join(dir, 'cpu.max'), `${Math.round(limits.cpus * CPU_PERIOD_US)} ${CPU_PERIOD_US}`);
    } catch (error) {
      rmdirSync(dir);
      throw error;
    }
    const events = join(dir, 'cgroup.events');
    return new RunCgroup(
      [dir],
      [join(dir, 'cgroup.procs')],
      {
        procs: join(dir, 'cgroup.procs'),
        memoryEvents: join(dir, 'memory.events'),
        oomKey: 'oom_kill',
        // memory.events' `max` counts this cgroup's (and its children's) own limit, not its town's.
        reachedOwnMemoryLimit: () => counter(join(dir, 'memory.events'), 'max') > 0,
        pidsEvents: join(dir, 'pids.events'),
        pidsPeak: join(dir, 'pids.peak'),
        // cgroup.kill since Linux 5.14; before it, freezing and killing every member.
        ...(existsSync(join(dir, 'cgroup.kill')) ? { kill: join(dir, 'cgroup.kill') } : {}),
        freeze: { file: join(dir, 'cgroup.freeze'), on: '1', off: '0', frozen: () => counter(events, 'frozen') === 1 },
      },
      limits,
      town,
    );
  }

  /**
   * Kills the run once its refused forks reach limits.forkFailures (never with 0), as the kernel's
   * OOM killer stops a run at its memory limit: held at its process limit, a fork bomb forks
   * again as fast as its processes die, and every fork holds off every join of a cgroup on the
   * host, so other towns' runs could not start. On cgroup v1 pids.events counts every fork of the
   * run refused, whether by its own limit or by its town's; on v2 only those its own limit refused.
   */
  stopForkStorms(): void {
    const { forkFailures } = this.limits;
    if (forkFailures === 0 || this.stormCheck !== undefined || this.released !== undefined) return;
    this.stormCheck = setInterval(() => {
      if (counter(this.files.pidsEvents, 'max') < forkFailures) return;
      clearInterval(this.stormCheck);
      this.stoppedAsForkStorm = true;
      void this.killAll().catch(() => undefined);
    }, FORK_STORM_CHECK_MS);
    this.stormCheck.unref();
  }

  /** Whether any process of the run is still alive (zombies are not listed). */
  running(): boolean {
    return pidsOf(this.files.procs).length > 0;
  }

  /**
   * Kills every process of the run, including those that left its session and process group
   * (a daemon's double fork, setsid). Frozen first, so nothing forks between reading the members and
   * killing them; without a freezer, again and again until none is left (the pids limit bounds a
   * fork bomb's refill).
   */
  async killAll(): Promise<void> {
    const { kill: killFile, freeze } = this.files;
    if (killFile) {
      writeFileSync(killFile, '1');
      return;
    }
    if (freeze) {
      writeFileSync(freeze.file, freeze.on);
      for (const deadline = Date.now() + 1_000; !freeze.frozen() && Date.now() < deadline; ) await pause();
    }
    try {
      for (let round = 0; round < 100; round++) {
        const members = pidsOf(this.files.procs);
        if (members.length === 0) break;
        members.forEach(kill);
        if (freeze) break;
        await pause();
      }
    } finally {
      // The SIGKILLs take effect once thawed.
      if (freeze) writeFileSync(freeze.file, freeze.off);
    }
  }

  /**
   * Once the run ended: kills whatever of it is left, says which limit it reached, and removes its
   * cgroup. Idempotent; never throws, since the run is over whatever happens to its cgroup (a
   * directory that cannot be removed is left empty).
   */
  release(): Promise<string | undefined> {
    this.released ??= this.end();
    return this.released;
  }

  private async end(): Promise<string | undefined> {
    clearInterval(this.stormCheck);
    try {
      for (const deadline = Date.now() + EMPTY_WITHIN_MS; this.running() && Date.now() < deadline; ) {
        await this.killAll();
        await pause();
      }
    } catch {
      // Reported by running() staying true.
    }
    const reached = this.limitReached();
    if (!this.running()) {
      for (const dir of this.dirs) {
        try {
          rmdirSync(dir);
        } catch {
          // Left empty; it holds nothing.
        }
      }
    }
    return reached;
  }

  /**
   * Which limit the run reached, as the town reads it in the attempt's failure reason: the run's
   * own, or its town's when the kernel stopped it at the town's cap (all the town's runs together).
   */
  limitReached(): string | undefined {
    const reasons: string[] = [];
    const oomKills = counter(this.files.memoryEvents, this.files.oomKey);
    if (oomKills > 0) {
      const killed = `the kernel killed ${oomKills} process${oomKills === 1 ? '' : 'es'} of the run`;
      reasons.push(
        this.files.reachedOwnMemoryLimit()
          ? `memory limit ${this.limits.memoryMb} MB reached (${killed})`
          : `the town's memory limit ${this.town.memoryMb} MB reached, all its runs together (${killed})`,
      );
    }
    // On v1 pids.events counts the run's refused forks whichever limit refused them; a peak below
    // the run's own limit says it was the town's.
    const refused = counter(this.files.pidsEvents, 'max');
    if (refused > 0) {
      const forks = `${refused} fork${refused === 1 ? '' : 's'} refused`;
      const peak = Number(read(this.files.pidsPeak) || NaN);
      const limit = peak < this.limits.pids ? `the town's process limit ${this.town.pids} reached, all its runs together` : `process limit ${this.limits.pids} reached`;
      reasons.push(this.stoppedAsForkStorm ? `${limit}: ${forks}, stopped as a fork storm` : `${limit} (${forks})`);
    }
    return reasons.length > 0 ? reasons.join('; ') : undefined;
  }
}

interface RunFiles {
  readonly procs: string;
  readonly memoryEvents: string;
  readonly oomKey: string;
  readonly reachedOwnMemoryLimit: () => boolean;
  readonly pidsEvents: string;
  readonly pidsPeak: string;
  readonly kill?: string;
  readonly freeze?: { readonly file: string; readonly on: string; readonly off: string; readonly frozen: () => boolean };
}
