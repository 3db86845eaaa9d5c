import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { MIB, type SandboxLimits } from './sandbox.limits';

/**
 * Where this process's cgroups are and which version: v2 when this process's own cgroup offers
 * the memory and pids controllers (a systemd unit with `Delegate=yes`, a container with its own
 * cgroup namespace), otherwise v1's memory and pids hierarchies (with cpu and freezer when mounted).
 * Runs' cgroups are created under this process's own, so they count against whatever limits the
 * host put on the runner.
 */
export type CgroupHost =
  | { readonly version: 2; readonly dir: string; readonly controllers: readonly string[] }
  | { readonly version: 1; readonly dirs: { readonly memory: string; readonly pids: string; readonly cpu?: string; readonly freezer?: string } };

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

/** Creates one cgroup per sandboxed run under the runner's own. */
export class RunCgroups {
  private prepared = false;

  constructor(private readonly host: CgroupHost) {}

  /** `cgroup v1` or `cgroup v2`, for the runner's start-up log. */
  get name(): string {
    return `cgroup v${this.host.version}`;
  }

  /**
   * A new cgroup with the run's limits, empty until the launcher joins it. Throws when the host
   * does not let this process create one (not root, no delegation).
   */
  create(limits: SandboxLimits): RunCgroup {
    const name = `gastown-sandbox-${process.pid}-${++sequence}`;
    if (this.host.version === 2) {
      this.delegate(this.host.dir, this.host.controllers);
      return RunCgroup.v2(join(this.host.dir, name), this.host.controllers, limits);
    }
    return RunCgroup.v1(this.host.dirs, name, limits);
  }

  /**
   * cgroup v2 lets a cgroup hand controllers to its children only while no process is in it:
   * the runner's own processes move into a leaf of their own first, as with systemd's Delegate=yes.
   */
  private delegate(dir: string, controllers: readonly string[]): void {
    if (this.prepared) return;
    const wanted = ['memory', 'pids', 'cpu'].filter((controller) => controllers.includes(controller));
    const enabled = read(join(dir, 'cgroup.subtree_control')).trim().split(/\s+/);
    if (!wanted.every((controller) => enabled.includes(controller))) {
      const leaf = join(dir, 'gastown-runner');
      mkdirSync(leaf, { recursive: true });
      for (const pid of pidsOf(join(dir, 'cgroup.procs'))) {
        try {
          writeFileSync(join(leaf, 'cgroup.procs'), String(pid));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
        }
      }
      writeFileSync(join(dir, 'cgroup.subtree_control'), wanted.map((controller) => `+${controller}`).join(' '));
    }
    this.prepared = true;
  }
}

const CPU_PERIOD_US = 100_000;
const POLL_MS = 5;
const EMPTY_WITHIN_MS = 5_000;

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

  private constructor(
    /** Every directory of the run, one per v1 hierarchy; removed in this order. */
    private readonly dirs: readonly string[],
    /** The cgroup.procs files the launcher writes its pid to. */
    readonly procsFiles: readonly string[],
    private readonly files: { readonly procs: string; readonly memoryEvents: string; readonly oomKey: string; readonly pidsEvents: string; readonly kill?: string; readonly freeze?: { readonly file: string; readonly on: string; readonly off: string; readonly frozen: () => boolean } },
    private readonly limits: SandboxLimits,
  ) {}

  static v1(dirs: Extract<CgroupHost, { version: 1 }>['dirs'], name: string, limits: SandboxLimits): RunCgroup {
    const created: string[] = [];
    try {
      const make = (parent: string) => {
        const dir = join(parent, name);
        mkdirSync(dir);
        created.push(dir);
        return dir;
      };
      const memory = make(dirs.memory);
      writeFileSync(join(memory, 'memory.limit_in_bytes'), String(limits.memoryMb * MIB));
      // With swap accounting, memory plus swap too: the limit must not spill into the host's swap.
      if (existsSync(join(memory, 'memory.memsw.limit_in_bytes'))) writeFileSync(join(memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryMb * MIB));
      const pids = make(dirs.pids);
      writeFileSync(join(pids, 'pids.max'), String(limits.pids));
      if (dirs.cpu) {
        const cpu = make(dirs.cpu);
        writeFileSync(join(cpu, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
        writeFileSync(join(cpu, 'cpu.cfs_quota_us'), String(Math.round(limits.cpus * CPU_PERIOD_US)));
      }
      const freezer = dirs.freezer ? make(dirs.freezer) : undefined;
      const state = freezer && join(freezer, 'freezer.state');
      return new RunCgroup(
        created,
        created.map((dir) => join(dir, 'cgroup.procs')),
        {
          procs: join(pids, 'cgroup.procs'),
          memoryEvents: join(memory, 'memory.oom_control'),
          oomKey: 'oom_kill',
          pidsEvents: join(pids, 'pids.events'),
          ...(state ? { freeze: { file: state, on: 'FROZEN', off: 'THAWED', frozen: () => read(state).trim() === 'FROZEN' } } : {}),
        },
        limits,
      );
    } catch (error) {
      for (const dir of created.reverse()) rmdirSync(dir);
      throw error;
    }
  }

  static v2(dir: string, controllers: readonly string[], limits: SandboxLimits): RunCgroup {
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
        pidsEvents: join(dir, 'pids.events'),
        // cgroup.kill since Linux 5.14; before it, freezing and killing every member.
        ...(existsSync(join(dir, 'cgroup.kill')) ? { kill: join(dir, 'cgroup.kill') } : {}),
        freeze: { file: join(dir, 'cgroup.freeze'), on: '1', off: '0', frozen: () => counter(events, 'frozen') === 1 },
      },
      limits,
    );
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

  /** Which limit the run reached, as the town reads it in the attempt's failure reason. */
  limitReached(): string | undefined {
    const reasons: string[] = [];
    const oomKills = counter(this.files.memoryEvents, this.files.oomKey);
    if (oomKills > 0) {
      reasons.push(`memory limit ${this.limits.memoryMb} MB reached (the kernel killed ${oomKills} process${oomKills === 1 ? '' : 'es'} of the run)`);
    }
    const refused = counter(this.files.pidsEvents, 'max');
    if (refused > 0) reasons.push(`process limit ${this.limits.pids} reached (${refused} fork${refused === 1 ? '' : 's'} refused)`);
    return reasons.length > 0 ? reasons.join('; ') : undefined;
  }
}
