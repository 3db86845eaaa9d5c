import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OpenRigCredentials } from '@gastown/contracts';
import { displayUrl, sshCommand, type GitConnection } from '../git/git.process';
import { RepositoryRefusedError, type CheckedRemote } from './repository.policy';

/**
 * What git prints when a remote refuses the credentials, or asks for some it was not given (no
 * prompt, no helper: it fails at once). Matched on git's and ssh's own English (LC_ALL=C).
 */
const AUTHENTICATION_FAILED = [
  /could not read (?:Username|Password) for/i,
  /Authentication failed for/i,
  /The requested URL returned error: (?:401|403)/i,
  /Permission denied \((?:publickey|password|keyboard-interactive)/i,
];
const HOST_KEY_UNKNOWN = [/Host key verification failed/i, /No (?:\S+ )?host key is known for/i];

/** The town's words for a failed remote command, when it is about credentials; otherwise undefined. */
export function credentialFailure(gitUrl: string, stderr: string, hasCredentials: boolean): string | undefined {
  const shown = displayUrl(gitUrl);
  if (AUTHENTICATION_FAILED.some((pattern) => pattern.test(stderr))) {
    return hasCredentials
      ? `authentication failed for ${shown}: the remote refused the rig's credentials`
      : `authentication failed for ${shown}: the remote asks for credentials, and the rig has none (the runner never lends its own)`;
  }
  if (HOST_KEY_UNKNOWN.some((pattern) => pattern.test(stderr))) {
    return `the host key of ${shown} is not trusted: give its known_hosts lines in credentials.sshKey.knownHosts (\`ssh-keyscan <host>\`), or ask the operator to trust it`;
  }
  return undefined;
}

/**
 * Turns a rig's opened credentials into the connection of one git command, never in argv (which
 * `ps` shows) nor on disk where an agent could read them:
 * - a token becomes an `Authorization: Basic` header in git's environment configuration
 *   (GIT_CONFIG_COUNT), which no file and no argument holds;
 * - a deploy key is written, with the host keys the rig trusts, to a fresh 0600 file in a 0700
 *   directory under the runner's data directory (which no sandbox mounts), for the command's
 *   duration only, and ssh uses that key and no other.
 * A credential that does not fit the remote is refused: a key for https, a token for ssh, any
 * credential for a local path, and a token over plain http:// to an address outside the host's
 * networks (it would cross the internet in clear).
 */
export class RigCredentialFiles {
  constructor(
    /** Private to the runner: `<data>/<namespace>/credentials`. */
    private readonly dir: string,
    /** Single-tenant installs: ssh is the runner's own, with the rig's key added. */
    private readonly ambient: boolean,
  ) {}

  /** Removes what a killed predecessor left (a key file of a command that never ended); run at start. */
  async clear(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
  }

  async connection(gitUrl: string, checked: CheckedRemote, credentials: OpenRigCredentials | undefined): Promise<GitConnection> {
    if (!credentials) return checked.connection;
    const problem = misfit(gitUrl, checked, credentials);
    if (problem) throw new RepositoryRefusedError('credentials', problem);
    if (credentials.kind === 'https') {
      const basic = Buffer.from(`${credentials.username}:${credentials.token}`, 'utf8').toString('base64');
      return {
        args: checked.connection.args,
        env: {
          ...checked.connection.env,
          GIT_CONFIG_COUNT: '1',
          GIT_CONFIG_KEY_0: 'http.extraHeader',
          GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
        },
        secrets: [credentials.token, basic, encodeURIComponent(credentials.token)],
      };
    }
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const dir = await mkdtemp(join(this.dir, 'ssh-'));
    const release = () => rm(dir, { recursive: true, force: true });
    try {
      const identityFile = join(dir, 'key');
      await writeFile(identityFile, credentials.privateKey, { mode: 0o600, flag: 'wx' });
      let knownHostsFile: string | undefined;
      if (credentials.knownHosts.length > 0) {
        knownHostsFile = join(dir, 'known_hosts');
        await writeFile(knownHostsFile, `${credentials.knownHosts.join('\n')}\n`, { mode: 0o600, flag: 'wx' });
      }
      return {
        args: checked.connection.args,
        env: { ...checked.connection.env, GIT_SSH_COMMAND: sshCommand(this.ambient, checked.ssh, { identityFile, knownHostsFile }) },
        secrets: [credentials.privateKey.trim()],
        release,
      };
    } catch (error) {
      await release();
      throw error;
    }
  }
}

function misfit(gitUrl: string, checked: CheckedRemote, credentials: OpenRigCredentials): string | null {
  const shown = displayUrl(gitUrl);
  if (checked.transport === 'local') return `credentials are for ssh and https remotes: gitUrl ${shown} is a local repository`;
  if (credentials.kind === 'https' && checked.transport === 'ssh') {
    return `credentials.httpsToken is for an http(s) remote: gitUrl ${shown} is reached over ssh, which takes an sshKey`;
  }
  if (credentials.kind === 'ssh' && checked.transport !== 'ssh') {
    return `credentials.sshKey is for an ssh remote: gitUrl ${shown} is reached over http(s), which takes an httpsToken`;
  }
  if (credentials.kind === 'https' && checked.transport === 'http' && !checked.insideAddress) {
    return `credentials.httpsToken would cross the network in clear: gitUrl ${shown} uses http:// to a public address; use https://`;
  }
  return null;
}
