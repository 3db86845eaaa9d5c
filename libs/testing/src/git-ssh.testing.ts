import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './port.testing';

/** Debian's openssh-server (see .ci/run); the tests install nothing themselves. */
export const SSHD_BINARY = process.env['SSHD_BIN'] ?? '/usr/sbin/sshd';

export interface SshKeyPair {
  /** An OpenSSH private key without passphrase, as a town hands over a deploy key. */
  readonly privateKey: string;
  /** `ssh-ed25519 AAAA…`: an authorized_keys line, or a known_hosts line after its host. */
  readonly publicKey: string;
  /** `SHA256:…`, as ssh-keygen prints it and sshd logs the key it accepted or refused. */
  readonly fingerprint: string;
}

/** A fresh ed25519 key pair from ssh-keygen itself, so no code under test decides what a key looks like. */
export function generateSshKeyPair(): SshKeyPair {
  const dir = mkdtempSync(join(tmpdir(), 'gt-ssh-key-'));
  try {
    const file = join(dir, 'key');
    const publicFile = join(dir, 'key.pub');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', file]);
    const fingerprint = /\b(SHA256:\S+)/.exec(execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', publicFile], { encoding: 'utf8' }))?.[1];
    if (!fingerprint) throw new Error('ssh-keygen printed no fingerprint');
    const [type, body] = readFileSync(publicFile, 'utf8').trim().split(' ');
    return { privateKey: readFileSync(file, 'utf8'), publicKey: `${type} ${body}`, fingerprint };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface SshGitServer {
  readonly port: number;
  /** The sshd this helper started: the only process close() signals. */
  readonly pid: number;
  /** The user git logs in as (the test's own: sshd cannot switch users unless it runs as root). */
  readonly user: string;
  /** The server's host key, `ssh-ed25519 AAAA…`: its known_hosts line is `<host> ${hostKey}`. */
  readonly hostKey: string;
  /** Everything of the server (keys, configuration, repositories); removed by close(). */
  readonly root: string;
  /** A bare repository with one commit on `main`; answers its URL, `ssh://<user>@127.0.0.1:<port>/<path>`. */
  createRepository(name: string): string;
  /** Runs git in a bare repository of the server, e.g. to read a branch the runner pushed. */
  git(name: string, ...args: string[]): string;
  /** Replaces the keys that may log in, as a host's deploy key settings do; sshd reads the file at every login. */
  authorize(publicKeys: readonly string[]): void;
  /** What sshd logged (LogLevel VERBOSE): each accepted and refused key by fingerprint. */
  output(): string;
  /** SIGTERM to this sshd, waits for its exit, then removes its files. */
  close(): Promise<void>;
}

export interface SshGitServerOptions {
  /** Public keys (`ssh-ed25519 AAAA…`) allowed to log in; none by default. */
  authorizedKeys?: readonly string[];
  timeoutMs?: number;
}

const GIT = { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', LC_ALL: 'C' };

/**
 * A git host over ssh on loopback, as a hosting service is for a deploy key: a throwaway sshd on
 * 127.0.0.1 with its own host key and authorized_keys, public keys only, serving bare
 * repositories of a temporary directory through git-upload-pack and git-receive-pack. Nothing of
 * the machine's own sshd (configuration, host keys, port 22) is used or touched.
 */
export async function startSshGitServer({ authorizedKeys = [], timeoutMs = 10_000 }: SshGitServerOptions = {}): Promise<SshGitServer> {
  if (process.getuid?.() === 0) {
    // The privilege separation directory that Debian's service script would make.
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  }
  const root = mkdtempSync(join(tmpdir(), 'gt-sshd-'));
  const file = (name: string) => join(root, name);
  mkdirSync(file('repos'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', file('host_key')]);
  const hostKey = readFileSync(file('host_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  const authorize = (keys: readonly string[]) => writeFileSync(file('authorized_keys'), keys.map((key) => `${key}\n`).join(''), { mode: 0o600 });
  authorize(authorizedKeys);
  const port = await freePort();
  writeFileSync(
    file('sshd_config'),
    [
      `ListenAddress 127.0.0.1:${port}`,
      `HostKey ${file('host_key')}`,
      `AuthorizedKeysFile ${file('authorized_keys')}`,
      `PidFile ${file('sshd.pid')}`,
      'AuthenticationMethods publickey',
      // The tests run as root; a key is the only way in.
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      // The files live under /tmp, whose modes sshd's owner checks would refuse.
      'StrictModes no',
      'UsePAM no',
      'AllowAgentForwarding no',
      'AllowTcpForwarding no',
      'X11Forwarding no',
      'PrintMotd no',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );

  const child = spawn(SSHD_BINARY, ['-D', '-e', '-f', file('sshd_config')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let exited = false;
  // A binary that cannot run reports 'error' and never 'exit': either one ends the process's life here.
  const exit = new Promise<Error | undefined>((done) => {
    child.once('exit', () => done(undefined));
    child.once('error', done);
  }).then((error) => {
    exited = true;
    return error;
  });
  const collect = (chunk: Buffer) => (output += chunk.toString('utf8'));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exit;
      clearTimeout(killer);
    }
    rmSync(root, { recursive: true, force: true });
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const outcome = await Promise.race([accepts(port), exit.then((error) => error ?? ('exited' as const))]);
    // sshd writes its pid file once it listens: a port taken by another process since freePort() is not this server.
    if (outcome === true && pidIn(file('sshd.pid')) === child.pid) break;
    if ((outcome !== true && outcome !== false) || Date.now() > deadline) {
      await stop();
      const why = outcome instanceof Error ? outcome.message : outcome === 'exited' ? 'it exited' : `not listening within ${timeoutMs} ms`;
      throw new Error(`sshd on 127.0.0.1:${port} did not start (${why}):\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  const user = userInfo().username;
  const git = (name: string, ...args: string[]) =>
    execFileSync('git', args, { cwd: join(file('repos'), name), env: { ...process.env, ...GIT }, encoding: 'utf8' }).trim();

  return {
    port,
    pid: child.pid ?? -1,
    user,
    hostKey,
    root,
    createRepository(name) {
      const bare = join(file('repos'), name);
      const work = mkdtempSync(join(tmpdir(), 'gt-sshd-work-'));
      const run = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: { ...process.env, ...GIT }, stdio: 'ignore' });
      try {
        run(root, 'init', '-q', '--bare', '-b', 'main', bare);
        run(work, 'init', '-q', '-b', 'main');
        run(work, '-c', 'user.name=Test', '-c', 'user.email=test@example.com', 'commit', '-q', '--allow-empty', '-m', 'initial');
        run(work, 'push', '-q', bare, 'main');
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
      return `ssh://${user}@127.0.0.1:${port}${bare}`;
    },
    git,
    authorize,
    output: () => output,
    close: stop,
  };
}

function pidIn(pidFile: string): number | undefined {
  try {
    return Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return undefined;
  }
}

/** One connection attempt: true once something listens on the port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
