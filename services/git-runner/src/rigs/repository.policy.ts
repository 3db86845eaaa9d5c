import { lookup } from 'node:dns/promises';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  classifyAddress,
  egressProblem,
  formatIpAddress,
  parseIpAddress,
  type EgressAllowList,
  type IpAddress,
} from '@gastown/contracts';
import { displayUrl, sshCommand, type GitConnection, type SshTarget } from '../git/git.process';
import type { RepositoryOwners } from './repository.owners';

/** The operator's rules for where a town's repository may be. */
export interface RepositoryPolicySettings {
  /** Directories local repositories may be under, for every town (real paths are compared). */
  localRoots: readonly string[];
  /** Further roots for one town each. */
  localRootsByTown: Readonly<Record<string, readonly string[]>>;
  /** Inside addresses the operator lets git reach (loopback, private…). */
  egressAllow: EgressAllowList;
  /** The runner's own files: never a repository, whatever the roots say. */
  dataDir: string;
  /** Single-tenant installs only: git may use the runner's ssh-agent, keys and credential helpers. */
  ambientCredentials: boolean;
}

/** The town may not use this remote; the message is for the town and never holds the URL's credentials. */
export class RepositoryRefusedError extends Error {
  constructor(
    readonly field: 'gitUrl' | 'defaultBranch' | 'credentials',
    message: string,
  ) {
    super(message);
    this.name = 'RepositoryRefusedError';
  }
}

/** Every address a host name resolves to (all of them are checked: one bad answer is enough to refuse). */
export type HostResolver = (host: string) => Promise<string[]>;

const systemResolver: HostResolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

type Remote =
  | { kind: 'local'; path: string }
  | { kind: 'http'; host: string; port: number; tls: boolean }
  | { kind: 'ssh'; host: string; port: number };

/** A checked remote: how git reaches it, and for a local repository the real git directory that is owned. */
export interface CheckedRemote {
  connection: GitConnection;
  gitDir?: string;
  /** Which credentials fit the remote (see rig.credentials.ts): none for a local one, a token over http(s), a key over ssh. */
  transport: 'local' | 'http' | 'https' | 'ssh';
  /** The checked address is inside the host's networks, which only the operator's allow-list lets git reach. */
  insideAddress: boolean;
  /** Where ssh connects, for a command that adds the rig's deploy key. */
  ssh?: SshTarget;
}

const SCP_LIKE = /^(?:[^@/:\s]+@)?(\[[^\]/]+\]|[^@/:\s[\]]+):(?!\/\/)/;
/** Host names ssh and curl receive: letters, digits, dots and dashes (ssh's HostKeyAlias goes through a shell). */
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?$/i;

/**
 * Applies the operator's rules to a town's remote at registration and again before every
 * command that talks to it: local repositories only under an allowed root, never the runner's
 * data directory, each owned by the first town that registered it; network remotes only at
 * addresses outside the host's own networks unless allow-listed, reached at the very address
 * that was checked (DNS answers again between the check and the connection do not count).
 */
export class RepositoryPolicy {
  private readonly dataDir: string;

  constructor(
    private readonly settings: RepositoryPolicySettings,
    private readonly owners: RepositoryOwners,
    private readonly resolveHost: HostResolver = systemResolver,
  ) {
    this.dataDir = realOrSelf(settings.dataDir);
  }

  get ambientCredentials(): boolean {
    return this.settings.ambientCredentials;
  }

  /**
   * Checks the remote for the town without claiming anything: throws RepositoryRefusedError
   * when the town may not use it, else says how git must connect.
   */
  async check(townId: string, gitUrl: string): Promise<CheckedRemote> {
    const remote = locate(gitUrl);
    if (remote.kind === 'local') {
      const gitDir = this.localGitDir(townId, gitUrl, remote.path);
      const owner = await this.owners.owner(gitDir);
      if (owner && owner.townId !== townId) throw registeredElsewhere(gitUrl);
      return { connection: { args: [], env: {} }, gitDir, transport: 'local', insideAddress: false };
    }
    const address = await this.checkedAddress(gitUrl, remote.host, remote.port);
    const insideAddress = classifyAddress(address) !== 'public';
    if (remote.kind === 'http') return { connection: this.pinnedHttp(remote, address), transport: remote.tls ? 'https' : 'http', insideAddress };
    const ip = formatIpAddress(address);
    // ssh connects to the checked address and still verifies the host key under the name the town gave.
    const ssh: SshTarget = { hostName: ip, hostKeyAlias: parseIpAddress(remote.host) ? ip : remote.host };
    return { connection: { args: [], env: { GIT_SSH_COMMAND: sshCommand(this.settings.ambientCredentials, ssh) } }, transport: 'ssh', insideAddress, ssh };
  }

  /** Makes the town the owner of a checked local repository, unless another town got there first. */
  async claim(townId: string, gitUrl: string, checked: CheckedRemote): Promise<void> {
    if (checked.gitDir === undefined) return;
    const owner = await this.owners.claim(townId, checked.gitDir);
    if (owner.townId !== townId) throw registeredElsewhere(gitUrl);
  }

  /** Check and claim in one, for the commands of a registered rig: its town owns what it uses. */
  async connect(townId: string, gitUrl: string): Promise<CheckedRemote> {
    const checked = await this.check(townId, gitUrl);
    await this.claim(townId, gitUrl, checked);
    return checked;
  }

  private localGitDir(townId: string, gitUrl: string, path: string): string {
    const shown = displayUrl(gitUrl);
    const roots = [...this.settings.localRoots, ...(this.settings.localRootsByTown[townId.toLowerCase()] ?? [])].map(realOrSelf);
    if (roots.length === 0) {
      throw new RepositoryRefusedError(
        'gitUrl',
        `gitUrl ${shown} is a local repository, and none is allowed for this town (the operator lists allowed roots in GASTOWN_LOCAL_REPO_ROOTS)`,
      );
    }
    // The spellings git itself tries for a local path, so the one git opens is the one checked.
    const candidates = [join(path, '.git'), path, `${path}.git/.git`, `${path}.git`].filter((candidate) => exists(candidate));
    if (candidates.length === 0) throw new RepositoryRefusedError('gitUrl', `gitUrl ${shown}: no repository there`);
    const notUnderRoot = () =>
      new RepositoryRefusedError('gitUrl', `gitUrl ${shown} is not under an allowed local root (${roots.join(', ')})`);
    const insideDataDir = () =>
      new RepositoryRefusedError('gitUrl', `gitUrl ${shown} is inside the git-runner's data directory, which is never a rig's repository`);
    const checkedPath = (candidate: string) => {
      const real = realpathSync(candidate);
      if (within(real, this.dataDir) || within(this.dataDir, real)) throw insideDataDir();
      const root = roots.find((r) => within(real, r));
      if (!root) throw notUnderRoot();
      return { real, root };
    };
    const checked = candidates.map(checkedPath);
    const gitDir = findGitDir(checked[0].real, checked[0].root);
    if (!gitDir) throw new RepositoryRefusedError('gitUrl', `gitUrl ${shown} is not a git repository`);
    checkedPath(gitDir);
    return gitDir;
  }

  private async checkedAddress(gitUrl: string, host: string, port: number): Promise<IpAddress> {
    const shown = displayUrl(gitUrl);
    const literal = parseIpAddress(host);
    let answers: IpAddress[];
    if (literal) {
      answers = [literal];
    } else {
      const found = await this.resolveHost(host).catch(() => []);
      answers = found.map(parseIpAddress).filter((a): a is IpAddress => a !== null);
      if (answers.length === 0) throw new RepositoryRefusedError('gitUrl', `gitUrl ${shown}: the host ${host} does not resolve`);
    }
    for (const address of answers) {
      const problem = egressProblem(this.settings.egressAllow, { host, port, address });
      if (problem) throw new RepositoryRefusedError('gitUrl', `gitUrl ${shown}: ${problem}`);
    }
    return answers[0];
  }

  /** curl connects to this address for host:port instead of asking DNS again (git ≥ 2.37). */
  private pinnedHttp(remote: Extract<Remote, { kind: 'http' }>, address: IpAddress): GitConnection {
    if (parseIpAddress(remote.host)) return { args: [], env: {} };
    const ip = formatIpAddress(address);
    const curlAddress = address.family === 6 ? `[${ip}]` : ip;
    return { args: ['-c', `http.curloptResolve=${remote.host}:${remote.port}:${curlAddress}`], env: {} };
  }
}

function registeredElsewhere(gitUrl: string): RepositoryRefusedError {
  return new RepositoryRefusedError('gitUrl', `gitUrl ${displayUrl(gitUrl)} is registered by another town`);
}

/** Where a git URL points; anything the runner cannot check is refused. */
function locate(gitUrl: string): Remote {
  const unusable = () =>
    new RepositoryRefusedError(
      'gitUrl',
      `gitUrl ${displayUrl(gitUrl)} is not a git URL the runner can use (an absolute path, file://, http(s)://, ssh:// or user@host:path)`,
    );
  if (gitUrl.startsWith('-') || /[\s\0]/.test(gitUrl)) throw unusable();
  if (gitUrl.startsWith('/')) return { kind: 'local', path: resolve(gitUrl) };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(gitUrl)?.[1].toLowerCase();
  if (scheme === undefined) {
    const scp = SCP_LIKE.exec(gitUrl);
    if (!scp) throw unusable();
    return { kind: 'ssh', host: hostOf(scp[1], unusable), port: 22 };
  }
  let url: URL;
  try {
    url = new URL(gitUrl);
  } catch {
    throw unusable();
  }
  if (scheme === 'file') {
    if (url.hostname !== '' && url.hostname !== 'localhost') throw unusable();
    return { kind: 'local', path: resolve(fileURLToPath(url)) };
  }
  const port = url.port === '' ? undefined : Number(url.port);
  if (scheme === 'http' || scheme === 'https') {
    return { kind: 'http', host: hostOf(url.hostname, unusable), port: port ?? (scheme === 'https' ? 443 : 80), tls: scheme === 'https' };
  }
  if (scheme === 'ssh' || scheme === 'git+ssh' || scheme === 'ssh+git') {
    return { kind: 'ssh', host: hostOf(url.hostname, unusable), port: port ?? 22 };
  }
  throw unusable();
}

/** The host without IPv6 brackets; a name must be plain enough for ssh's command line and curl's resolve list. */
function hostOf(raw: string, unusable: () => Error): string {
  const host = raw.replace(/^\[(.*)\]$/, '$1');
  if (parseIpAddress(host)) return host;
  if (!HOST_NAME.test(host)) throw unusable();
  return host.toLowerCase();
}

/**
 * The repository's identity: its real git directory, shared by every path into it (a symlink, a
 * subdirectory, its work tree, a linked worktree). Found by walking up from the path, as git
 * discovers repositories, but never above the allowed root.
 */
function findGitDir(start: string, root: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    const found = gitDirAt(dir);
    if (found) return common(found);
    if (dir === root || dirname(dir) === dir) return undefined;
  }
}

function gitDirAt(dir: string): string | undefined {
  if (isGitDir(dir)) return dir;
  const dotGit = join(dir, '.git');
  if (isDirectory(dotGit) && isGitDir(dotGit)) return realpathSync(dotGit);
  if (isFile(dotGit)) {
    const pointer = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, 'utf8'))?.[1]?.trim();
    if (pointer) {
      const target = resolve(dir, pointer);
      if (isGitDir(target)) return realpathSync(target);
    }
  }
  return undefined;
}

/** A linked worktree's git dir shares its refs with the main one: both are one repository. */
function common(gitDir: string): string {
  const file = join(gitDir, 'commondir');
  if (!isFile(file)) return gitDir;
  return realOrSelf(resolve(gitDir, readFileSync(file, 'utf8').trim()));
}

function isGitDir(dir: string): boolean {
  if (!isFile(join(dir, 'HEAD'))) return false;
  return isFile(join(dir, 'commondir')) || (isDirectory(join(dir, 'objects')) && isDirectory(join(dir, 'refs')));
}

function within(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
