import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, realpathSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir, totalmem } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { Sandbox, SandboxExit, SandboxProcess, SandboxReport, SandboxSpec } from './sandbox';
import { findCgroupHost, RunCgroups, type RunCgroup } from './sandbox.cgroup';
import { SandboxProgramError, SandboxUnavailableError } from './sandbox.errors';
import { writableGitDirs } from './sandbox.git';
import { describeLimits, fileSizeLimitReached, MIB, rlimitOptions, townLimitsOf, type CgroupMode, type SandboxLimits, type TownLimits } from './sandbox.limits';
import { endsOf, processRunning, signalGroup } from './sandbox.process';
import { startWatchdog } from './sandbox.watchdog';
import { DiskGuard } from './sandbox.worktree';

export interface BwrapSettings {
  /** The bwrap program: a path, or a name looked up on /usr/sbin:/usr/bin:/sbin:/bin. */
  readonly bwrapPath: string;
  /** The unprivileged user and group the process runs as inside; never 0. */
  readonly uid: number;
  readonly gid: number;
  /** The operator's extra read-only paths for every sandbox (GIT_RUNNER_SANDBOX_READ_ONLY): a toolchain in /opt. */
  readonly readOnly?: readonly string[];
  /** What each run may take of the host (GIT_RUNNER_SANDBOX_MEMORY_MB and the others). */
  readonly limits: SandboxLimits;
  /** Whether each run gets a cgroup (GIT_RUNNER_SANDBOX_CGROUPS). */
  readonly cgroups: CgroupMode;
  /** The operator's caps on each town's runs together (GIT_RUNNER_TOWN_CPUS and the others); the rest are defaults (townLimitsOf). */
  readonly town?: Partial<TownLimits>;
}

/** What of the host the sandbox shows, read once: the toolchain and the few /etc files programs need. */
export interface BwrapHost {
  /** Top-level links of a merged-/usr system (/bin -> usr/bin), recreated inside as the same links. */
  readonly links: readonly { readonly path: string; readonly target: string }[];
  /** Directories bound read-only: /usr, real /bin or /lib directories, node's own prefix. */
  readonly toolchain: readonly string[];
  /** The /etc entries present on the host among those programs need (libraries, TLS roots, name resolution). */
  readonly etc: readonly string[];
}

/** Inside, HOME is private and empty, and the user has a name of its own. */
export const SANDBOX_HOME = '/home/sandbox';
const SANDBOX_USER = 'sandbox';
/** bwrap's own environment, which its init keeps and the sandbox can read as /proc/1/environ. */
const BWRAP_PATH_ENV = '/usr/sbin:/usr/bin:/sbin:/bin';
const INFO_FD = 3;
const PASSWD_FD = 4;
const GROUP_FD = 5;
/** Where the launcher says why it could not join the run's cgroup. */
const JOIN_FD = 6;
/**
 * The launcher: joins the run's cgroup (the cgroup.procs files before `--`), then becomes bwrap.
 * Joining before bwrap exists is what makes the cgroup hold everything of the run: a pid written
 * after the spawn would leave out whatever bwrap forked in between. It runs on the host as the
 * runner, never inside the sandbox, and nothing of the town reaches its arguments but bwrap's.
 */
const LAUNCHER = 'while [ "$1" != -- ]; do { echo $$ > "$1"; } 2>&6 || exit 125; shift; done; shift; exec 6>&-; exec "$@"';
const PROBE_TIMEOUT_MS = 15_000;

/**
 * Of /etc only what libraries, TLS and name resolution read. /etc/passwd and /etc/group are
 * generated (the host's name its service accounts), and nothing else of /etc (the runner's
 * configuration, ssh keys, PostgreSQL's files) is visible.
 */
const ETC = [
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/alternatives',
  '/etc/ssl',
  '/etc/ca-certificates',
  '/etc/pki',
  '/etc/localtime',
  '/etc/nsswitch.conf',
  '/etc/host.conf',
  '/etc/gai.conf',
  '/etc/hosts',
  '/etc/resolv.conf',
  '/etc/services',
  '/etc/protocols',
];
const TOP_LEVEL = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!isAbsolute(rel) && rel.split(sep)[0] !== '..');
}

/** The host as the sandbox will show it. */
export function inspectHost(execPath = process.execPath): BwrapHost {
  const links: { path: string; target: string }[] = [];
  const toolchain = ['/usr'];
  for (const path of TOP_LEVEL) {
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (stat?.isSymbolicLink()) links.push({ path, target: readlinkSync(path) });
    else if (stat?.isDirectory()) toolchain.push(path);
  }
  // node may live outside /usr (nvm, /opt): its install prefix, for the demo agent and node-based agents.
  const node = realpathSync(execPath);
  if (!toolchain.some((dir) => isInside(dir, node))) toolchain.push(dirname(dirname(node)));
  return { links, toolchain, etc: ETC.filter((path) => existsSync(path)) };
}

/** The generated /etc/passwd and /etc/group: the sandbox user, and root for tools that name file owners. */
export function identityFiles({ uid, gid }: Pick<BwrapSettings, 'uid' | 'gid'>): { passwd: string; group: string } {
  return {
    passwd: `root:x:0:0:root:/root:/usr/sbin/nologin\n${SANDBOX_USER}:x:${uid}:${gid}:Gastown sandbox:${SANDBOX_HOME}:/bin/sh\n`,
    group: `root:x:0:\n${SANDBOX_USER}:x:${gid}:\n`,
  };
}

/**
 * bwrap's arguments for a spec, as Flatpak confines an app: every namespace of its own (network
 * only when allowed), no capabilities, no new user namespaces inside, a session of its own (no
 * terminal injection), killed with its parent, an unprivileged uid, exactly the given
 * environment, its own /proc, /dev and /tmp, the toolchain read-only, and of the runner's files
 * only the worktree (read-write) and the given read-only paths, each at its own path.
 */
export function bwrapArgs(spec: SandboxSpec, settings: Pick<BwrapSettings, 'uid' | 'gid' | 'limits'>, host: BwrapHost): string[] {
  if (settings.uid === 0 || settings.gid === 0) throw new RangeError('the sandbox never runs as uid or gid 0');
  const env: Record<string, string> = { ...spec.env, HOME: SANDBOX_HOME, TMPDIR: '/tmp', USER: SANDBOX_USER, LOGNAME: SANDBOX_USER };
  const args = ['--unshare-all', '--unshare-user', ...(spec.network ? ['--share-net'] : []), '--disable-userns'];
  args.push('--die-with-parent', '--new-session', '--cap-drop', 'ALL');
  args.push('--uid', String(settings.uid), '--gid', String(settings.gid), '--hostname', 'gastown-sandbox');
  args.push('--clearenv', ...Object.entries(env).flatMap(([name, value]) => ['--setenv', name, value]));
  for (const dir of host.toolchain) args.push('--ro-bind', dir, dir);
  for (const { path, target } of host.links) args.push('--symlink', target, path);
  for (const path of host.etc) args.push('--ro-bind', path, path);
  args.push('--ro-bind-data', String(PASSWD_FD), '/etc/passwd', '--ro-bind-data', String(GROUP_FD), '/etc/group');
  // Sized, or filling them would take the host's memory: tmpfs pages belong to no process.
  const tmpSize = String(settings.limits.tmpMb * MIB);
  args.push('--proc', '/proc', '--dev', '/dev', '--size', tmpSize, '--tmpfs', '/tmp', '--size', tmpSize, '--tmpfs', '/home', '--dir', SANDBOX_HOME);
  // After /tmp and /home: a path under them is bound into the fresh tmpfs.
  for (const path of spec.readOnly ?? []) args.push('--ro-bind', path, path);
  args.push('--bind', spec.worktree, spec.worktree);
  if (spec.git) {
    const { commonDir } = spec.git;
    // What `git add` and `git commit` write; the clone's config and hooks stay out of reach,
    // and objects/info read-only, or an `alternates` file there could borrow another clone's objects.
    for (const dir of writableGitDirs(spec.git)) args.push(spec.gitWritable ? '--bind' : '--ro-bind', dir, dir);
    args.push('--ro-bind', join(commonDir, 'objects', 'info'), join(commonDir, 'objects', 'info'));
    for (const file of ['HEAD', 'config', 'packed-refs', 'shallow', 'info']) {
      args.push('--ro-bind-try', join(commonDir, file), join(commonDir, file));
    }
  }
  args.push('--chdir', spec.worktree, '--info-fd', String(INFO_FD), '--', ...spec.argv);
  return args;
}

/** The program as the sandbox would find it, checked on the host against what the sandbox shows. */
export function findProgram(spec: SandboxSpec, host: BwrapHost): string | undefined {
  const [program = ''] = spec.argv;
  const visible = [...host.toolchain, ...host.links.map((link) => link.path), ...(spec.readOnly ?? []), spec.worktree];
  const usable = (path: string) => {
    if (!visible.some((root) => isInside(root, path))) return false;
    try {
      accessSync(path, constants.X_OK);
      return statSync(path).isFile();
    } catch {
      return false;
    }
  };
  if (program.includes('/')) {
    const path = resolve(spec.worktree, program);
    return usable(path) ? path : undefined;
  }
  const path = spec.env['PATH'] ?? '';
  return path
    .split(':')
    .filter((dir) => isAbsolute(dir))
    .map((dir) => join(dir, program))
    .find(usable);
}

/** Confinement with bubblewrap (https://github.com/containers/bubblewrap), as Flatpak uses it. */
export class BwrapSandbox implements Sandbox {
  readonly kind = 'bwrap';
  /** Found on first use; `unavailable` says why runs get rlimits only. */
  private cgroups: RunCgroups | { unavailable: string } | undefined;
  /** Once a run had a cgroup, every run must: a later failure to create one is an error, never a quiet fallback. */
  private cgroupsWork = false;
  /** What each town's runs together may take. */
  readonly townLimits: TownLimits;

  constructor(
    private readonly settings: BwrapSettings,
    private readonly host: BwrapHost = inspectHost(),
  ) {
    this.townLimits = townLimitsOf(settings.limits, settings.town ?? {}, { cores: availableParallelism(), memoryMb: Math.floor(totalmem() / MIB) });
  }

  get limits(): SandboxLimits {
    return this.settings.limits;
  }

  async spawn(request: SandboxSpec): Promise<SandboxProcess> {
    const spec = { ...request, readOnly: [...(this.settings.readOnly ?? []), ...(request.readOnly ?? [])] };
    if (spec.argv.length === 0 || !findProgram(spec, this.host)) {
      throw new SandboxProgramError(
        `spawn ${spec.argv[0] ?? '(no program)'} ENOENT: no such program inside the sandbox (PATH ${spec.env['PATH'] ?? 'unset'}, ` +
          `toolchain ${[...this.host.toolchain, ...(spec.readOnly ?? [])].join(', ')})`,
      );
    }
    // Found here, since the launcher's exec would only report a missing one as an exit code.
    const bwrap = onHost(this.settings.bwrapPath);
    const prlimit = onHost('prlimit');
    if (!bwrap) throw new Error(`spawn ${this.settings.bwrapPath} ENOENT`);
    if (!prlimit) throw new Error(`spawn prlimit ENOENT: the sandbox's rlimits need prlimit (apt-get install util-linux)`);
    if (spec.git) {
      mkdirSync(join(spec.git.commonDir, 'objects', 'info'), { recursive: true });
      mkdirSync(join(spec.git.commonDir, 'logs'), { recursive: true });
    }
    const cgroup = this.createCgroup(spec.town);
    const launcher = [...(cgroup?.procsFiles ?? []), '--', prlimit, ...rlimitOptions(this.settings.limits), '--', bwrap];
    const child = spawn('/bin/sh', ['-c', LAUNCHER, 'gastown-sandbox', ...launcher, ...bwrapArgs(spec, this.settings, this.host)], {
      cwd: '/',
      // Only what bwrap itself needs: its init keeps this environment, readable inside. The
      // worktree names the sandbox for the reaper of a previous runner's agents (agent.records.ts).
      env: { PATH: BWRAP_PATH_ENV, ...(spec.env['GASTOWN_WORKDIR'] ? { GASTOWN_WORKDIR: spec.env['GASTOWN_WORKDIR'] } : {}) },
      stdio: [...spec.stdio, 'pipe', 'pipe', 'pipe', 'pipe'],
      // A process group of its own: signalling it reaches bwrap; its namespace dies with it (--die-with-parent).
      detached: true,
      shell: false,
    });
    const ends = endsOf(child);
    cgroup?.stopForkStorms();
    // Watched once the run started; its exit may come first.
    const disk: { guard?: DiskGuard } = {};
    // The run is over once nothing of it is left in its cgroup, and only then does its cgroup say which limit it reached.
    const exited = ends.exited.then(async (exit): Promise<SandboxExit> => {
      disk.guard?.stop();
      const reached = [await cgroup?.release(), disk.guard?.reached, fileSizeLimitReached(exit, this.settings.limits)];
      const limit = reached.filter((one) => one !== undefined).join('; ');
      return limit ? { ...exit, limit } : exit;
    });
    const closed = Promise.all([ends.closed, exited]).then(([, exit]) => exit);
    const extra = child.stdio as unknown as readonly (Readable & Writable)[];
    const joined = textOf(extra[JOIN_FD] as Readable);
    const info = initOf(extra[INFO_FD] as Readable);
    const { passwd, group } = identityFiles(this.settings);
    feed(extra[PASSWD_FD] as Writable, passwd);
    feed(extra[GROUP_FD] as Writable, group);
    try {
      await ends.started;
    } catch (error) {
      await cgroup?.release();
      throw error;
    }
    // The launcher closes the descriptor when it becomes bwrap, or writes why it could not join.
    const joinFailure = (await joined).trim();
    if (joinFailure) {
      await exited;
      throw new SandboxUnavailableError(`the sandbox could not join its cgroup: ${joinFailure}`);
    }
    // The namespace's init, known once bwrap reports it; a bwrap that fails its set-up exits first
    // and says why on the process's stderr.
    const init = await Promise.race([info, ends.exited.then(() => undefined)]);
    const pid = child.pid as number;
    const started: SandboxProcess = {
      child,
      pid,
      exited,
      closed,
      signal: (signal) => {
        signalGroup(pid, signal);
        // bwrap dies of the signal, and its namespace must go with it: --die-with-parent only holds
        // once the init has armed it, which a stop right after the start can precede. The init
        // killed, the kernel kills every process of its pid namespace.
        if (init !== undefined && processRunning(init)) killProcess(init);
        // And whatever of the run is not (yet) in that namespace: the cgroup holds all of it.
        if (signal === 'SIGKILL') void cgroup?.killAll().catch(() => undefined);
      },
      // Everything the sandbox runs is in the init's pid namespace, which ends with the init. Not
      // its process groups: a dead init may wait a while in bwrap's group for the host to reap it.
      running: () =>
        (child.exitCode === null && child.signalCode === null) || (init !== undefined && processRunning(init)) || (cgroup?.running() ?? false),
    };
    const gitDirs = spec.git && spec.gitWritable ? writableGitDirs(spec.git) : [];
    disk.guard = await DiskGuard.watch(spec.worktree, gitDirs, this.settings.limits.worktreeMb, () => started.signal('SIGKILL'));
    // A run that ended while its git directories were measured is not watched any longer.
    if (child.exitCode !== null || child.signalCode !== null) disk.guard.stop();
    return started;
  }

  async probe(): Promise<SandboxReport> {
    const worktree = mkdtempSync(join(tmpdir(), 'gt-sandbox-probe-'));
    try {
      const started = await this.spawn({ argv: ['true'], worktree, env: { PATH: BWRAP_PATH_ENV }, network: false, stdio: ['ignore', 'ignore', 'pipe'] });
      const failure = await probeFailure(started);
      if (failure) {
        throw new SandboxUnavailableError(
          `GIT_RUNNER_SANDBOX=bwrap: the sandbox cannot start (${this.settings.bwrapPath}: ${failure}); ` +
            'install bubblewrap (apt-get install bubblewrap) or set GIT_RUNNER_BWRAP_PATH, or on a single-user machine choose GIT_RUNNER_SANDBOX=none',
        );
      }
    } catch (error) {
      if (error instanceof SandboxUnavailableError) throw error;
      throw new SandboxUnavailableError(
        `GIT_RUNNER_SANDBOX=bwrap: the sandbox cannot start (${this.settings.bwrapPath}: ${(error as Error).message}); ` +
          'install bubblewrap (apt-get install bubblewrap) or set GIT_RUNNER_BWRAP_PATH, or on a single-user machine choose GIT_RUNNER_SANDBOX=none',
      );
    } finally {
      rmSync(worktree, { recursive: true, force: true });
    }
    const cgroups = this.cgroups;
    const { limits } = this.settings;
    if (cgroups === undefined || 'unavailable' in cgroups) {
      const why = cgroups?.unavailable ?? `GIT_RUNNER_SANDBOX_CGROUPS=${this.settings.cgroups}`;
      return {
        limits: describeLimits(limits, undefined),
        warning:
          `NO MEMORY, PROCESS OR CPU LIMIT FOR AGENTS AND CHECKS (${why}): one town's agent can exhaust this host's memory or processes until its timeout. ` +
          'Run the runner as root on a host with cgroup v1 or a delegated cgroup v2, or set GIT_RUNNER_SANDBOX_CGROUPS=required to refuse to start without one.',
      };
    }
    return { limits: describeLimits(limits, cgroups.name, this.townLimits) };
  }

  /**
   * The run's cgroup, or none: with `off`, or with `auto` on a host that gives none (found by the
   * first run, the probe, which also removes what a dead runner left and starts this runner's
   * watchdog). With `required`, no run starts without one.
   */
  private createCgroup(townId: string | undefined): RunCgroup | undefined {
    const { cgroups: mode, limits } = this.settings;
    if (mode === 'off') return undefined;
    if (this.cgroups === undefined) {
      const host = findCgroupHost();
      if ('unavailable' in host) this.cgroups = host;
      else {
        this.cgroups = new RunCgroups(host, this.townLimits);
        this.cgroups.sweep();
        // Before the first run's cgroup exists: from then on, however this runner dies, its runs die too.
        startWatchdog(host);
      }
    }
    const cgroups = this.cgroups;
    if ('unavailable' in cgroups) {
      if (mode === 'required') throw new SandboxUnavailableError(`GIT_RUNNER_SANDBOX_CGROUPS=required: ${cgroups.unavailable}`);
      return undefined;
    }
    try {
      const cgroup = cgroups.create(limits, townId);
      this.cgroupsWork = true;
      return cgroup;
    } catch (error) {
      const why = `${cgroups.name} does not let this runner create a cgroup (${(error as Error).message})`;
      if (mode === 'required') throw new SandboxUnavailableError(`GIT_RUNNER_SANDBOX_CGROUPS=required: ${why}`);
      if (this.cgroupsWork) throw new Error(`could not create the run's cgroup: ${(error as Error).message}`);
      this.cgroups = { unavailable: why };
      return undefined;
    }
  }
}

/** A program the runner starts on the host: an absolute path, or a name looked up as bwrap's PATH would. */
function onHost(program: string): string | undefined {
  const candidates = isAbsolute(program) ? [program] : BWRAP_PATH_ENV.split(':').map((dir) => join(dir, program));
  return candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return statSync(path).isFile();
    } catch {
      return false;
    }
  });
}

/** Everything written to a stream until it closes. */
function textOf(stream: Readable): Promise<string> {
  let text = '';
  stream.on('error', () => undefined);
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return new Promise((settle) => stream.once('close', () => settle(text)));
}

function killProcess(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** A bwrap that dies before reading its data makes the write fail; its exit then says why. */
function feed(stream: Writable, data: string): void {
  stream.on('error', () => undefined);
  stream.end(data);
}

/** The host pid of the namespace's init, from bwrap's --info-fd; undefined when bwrap wrote none. */
async function initOf(stream: Readable): Promise<number | undefined> {
  try {
    const pid = (JSON.parse(await textOf(stream)) as { 'child-pid'?: unknown })['child-pid'];
    return typeof pid === 'number' ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Why a probe run failed, or undefined when it exited 0. */
async function probeFailure(started: SandboxProcess): Promise<string | undefined> {
  let stderr = '';
  started.child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((settle) => {
    timer = setTimeout(() => {
      started.signal('SIGKILL');
      settle(`\`true\` did not finish within ${PROBE_TIMEOUT_MS} ms`);
    }, PROBE_TIMEOUT_MS);
  });
  const ended = started.closed.then(({ code, signal }) =>
    code === 0 ? undefined : `\`true\` ended with ${signal ?? `exit code ${code}`}${stderr.trim() ? `: ${stderr.trim()}` : ''}`,
  );
  try {
    return await Promise.race([ended, late]);
  } finally {
    clearTimeout(timer);
  }
}
