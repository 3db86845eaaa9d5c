import { redactCredentials } from '@gastown/contracts';
import { GitError, simpleGit, type SimpleGit } from 'simple-git';

/**
 * The only variables a git child process gets from the runner's own environment. Everything
 * else (NATS credentials, tokens of other systems) stays out of git and out of its hooks; a
 * `GIT_*` variable inherited by accident (GIT_DIR, GIT_WORK_TREE) could point git at another
 * repository, and simple-git would strip it anyway. The runner's own identity (HOME with its
 * git config, .netrc and keys; the ssh-agent) is passed only to a single-tenant install.
 */
const INHERITED = [
  'PATH',
  'USER',
  'TMPDIR',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
];

const AMBIENT_IDENTITY = ['HOME', 'SSH_AUTH_SOCK'];

/** A git process that hears nothing for this long is stuck (a dead remote, a hung transport), not slow. */
const SILENCE_LIMIT_MS = 5 * 60_000;

/** The subcommands that talk to a remote: only they get the connection's checks, pins and credentials. */
const REMOTE_SUBCOMMANDS: ReadonlySet<string> = new Set(['fetch', 'push', 'ls-remote', 'clone', 'pull']);

/**
 * ssh as the runner runs it for a town: no agent, no key or config of the runner's user, no
 * prompt, no proxy command; only hosts the operator already trusts (known_hosts). Every word is a
 * constant: git hands GIT_SSH_COMMAND to a shell. sshCommand adds the identity: none, or the rig's.
 */
const CONTAINED_SSH = [
  'ssh',
  '-F', '/dev/null',
  '-o', 'BatchMode=yes',
  '-o', 'IdentitiesOnly=yes',
  '-o', 'IdentityAgent=none',
  '-o', 'PasswordAuthentication=no',
  '-o', 'KbdInteractiveAuthentication=no',
  '-o', 'ProxyCommand=none',
  '-o', 'ProxyJump=none',
  '-o', 'StrictHostKeyChecking=yes',
];

/** Where ssh connects (the checked address) and the name it verifies the host key under (the one the town gave). */
export interface SshTarget {
  readonly hostName: string;
  readonly hostKeyAlias: string;
}

/** A rig's deploy key and the host keys it trusts, as files only the runner can read, for one command. */
export interface SshIdentity {
  readonly identityFile: string;
  readonly knownHostsFile?: string;
}

/** Paths the runner made under its own data directory; refused otherwise, since git hands the command to a shell. */
const SHELL_SAFE_PATH = /^\/[A-Za-z0-9._/-]+$/;

/**
 * The ssh command of one remote command: contained (or the runner's own, single-tenant), aimed at
 * the checked address, with the rig's deploy key when it has one and no key at all otherwise.
 */
export function sshCommand(ambient: boolean, target?: SshTarget, identity?: SshIdentity): string {
  const options: string[] = [];
  if (identity) {
    for (const path of [identity.identityFile, identity.knownHostsFile]) {
      if (path !== undefined && !SHELL_SAFE_PATH.test(path)) throw new Error(`ssh credential path ${JSON.stringify(path)} is not one the runner makes`);
    }
    options.push(`IdentityFile=${identity.identityFile}`, 'IdentitiesOnly=yes');
    // Trusted besides the operator's global known hosts, never instead of them.
    if (identity.knownHostsFile) options.push(`UserKnownHostsFile=${identity.knownHostsFile}`);
  } else if (!ambient) {
    options.push('IdentityFile=none');
  }
  if (target) options.push(`HostName=${target.hostName}`, `HostKeyAlias=${target.hostKeyAlias}`);
  return [...(ambient ? ['ssh'] : CONTAINED_SSH), ...options.flatMap((option) => ['-o', option])].join(' ');
}

/** Transports a remote may use; `ext::` (runs a command) and the unauthenticated `git://` are not among them. */
const ALLOWED_PROTOCOLS = 'file:http:https:ssh';

/**
 * What one remote command needs beyond the runner's defaults: `-c` settings (an address pinned
 * for curl) and variables (an ssh command aimed at a checked address, a rig's own credentials,
 * which never go in argv where `ps` shows them). Built by the caller, per command, right before
 * git connects.
 */
export interface GitConnection {
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** The rig's credentials in every form git could print them: redacted from errors. */
  readonly secrets?: readonly string[];
  /** Called once the command ended, whatever its outcome: removes a deploy key's files. */
  readonly release?: () => Promise<void>;
}

export const NO_CONNECTION: GitConnection = { args: [], env: {} };

/** A git command that exited non-zero. The message holds the subcommand and git's own words, never credentials. */
export class GitCommandError extends Error {
  constructor(
    readonly subcommand: string,
    readonly exitCode: number,
    readonly stderr: string,
  ) {
    super(`git ${subcommand} failed (exit code ${exitCode})${stderr ? `: ${stderr}` : ''}`);
    this.name = 'GitCommandError';
  }
}

/**
 * The secret part of a URL's userinfo (raw and decoded), for redaction: the password, or an
 * HTTP(S) user name that stands alone, which is how hosts take a token. An ssh user name (`git`)
 * is no secret, and redacting it would garble every message. None for scp-like or local paths.
 */
export function urlSecrets(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [];
  }
  const tokenAsUser = !parsed.password && /^https?:$/.test(parsed.protocol);
  const secrets = [parsed.password, tokenAsUser ? parsed.username : ''].filter((part) => part.length > 0);
  return [...new Set([...secrets, ...secrets.map((part) => decodeURIComponent(part))])];
}

/** A URL fit for logs and errors: the userinfo (a token or password) replaced by `***`. */
export function displayUrl(url: string): string {
  return redactCredentials(url, urlSecrets(url));
}

/**
 * The raw outcome of a failed command; `run` turns it into a GitCommandError that names the
 * subcommand. A GitError, because simple-git wraps any other error in one and loses the exit code.
 */
class GitExit extends GitError {
  constructor(
    readonly exitCode: number,
    detail: string,
  ) {
    super(undefined, detail);
  }
}

export interface GitProcessOptions {
  /** Extra variables for every git process, e.g. an operator's credential configuration. */
  env?: Record<string, string>;
  /** Strings that must never appear in an error (the rig URL's credentials; a connection adds the rig's own). */
  secrets?: readonly string[];
  /**
   * Lets git use the runner's own credentials (HOME's config and keys, the ssh-agent, credential
   * helpers). Only for a single-tenant install: every town would be served by them alike.
   */
  ambientCredentials?: boolean;
  /**
   * Checks the remote again and says how to reach it, before every command that talks to it;
   * throws to refuse. Absent: the remote is used as configured (tests of local repositories).
   */
  connection?: () => Promise<GitConnection>;
  /** How long a command may go without output before it is stopped (default five minutes). */
  silenceLimitMs?: number;
}

/**
 * Runs git through simple-git with argument arrays (no shell ever sees an argument), a fixed
 * environment, English messages (the few we read, such as a push's "stale info", stay stable)
 * and no terminal prompt: a missing credential fails the command instead of hanging the runner.
 * simple-git waits 50 ms after a command that printed nothing, so callers leave out `--quiet`
 * where the output is harmless.
 */
export class GitProcess {
  private readonly env: Record<string, string>;
  private readonly baseArgs: string[];
  private readonly secrets: readonly string[];
  private readonly connection: () => Promise<GitConnection>;
  private readonly silenceLimitMs: number;

  constructor(options: GitProcessOptions = {}) {
    const inherited: Record<string, string> = {};
    const ambient = options.ambientCredentials === true;
    for (const name of [...INHERITED, ...(ambient ? AMBIENT_IDENTITY : [])]) {
      const value = process.env[name];
      if (value !== undefined) inherited[name] = value;
    }
    const contained: Record<string, string> = ambient
      ? {}
      : {
          // No HOME: neither ~/.gitconfig nor the ~/.netrc that curl would read for any host.
          HOME: '/nonexistent',
          GIT_CONFIG_GLOBAL: '/dev/null',
          GIT_SSH_COMMAND: sshCommand(false),
        };
    this.env = { ...inherited, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0', GIT_ALLOW_PROTOCOL: ALLOWED_PROTOCOLS, ...contained, ...options.env };
    this.baseArgs = [
      // A redirect would take git to a host nobody checked (and past the pinned address).
      '-c', 'http.followRedirects=false',
      // Empties the list of helpers, the system's and the user's included.
      ...(ambient ? [] : ['-c', 'credential.helper=']),
    ];
    this.secrets = options.secrets ?? [];
    this.connection = options.connection ?? (() => Promise.resolve(NO_CONNECTION));
    this.silenceLimitMs = options.silenceLimitMs ?? SILENCE_LIMIT_MS;
  }

  /**
   * Runs `git <args>` in `cwd` and returns its standard output without the final newline (only
   * that: a `-z` listing may hold names that begin with spaces). A non-zero exit throws GitCommandError.
   */
  async run(cwd: string, args: string[]): Promise<string> {
    const subcommand = args.find((arg) => !arg.startsWith('-') && !arg.includes('=')) ?? 'git';
    const connection = REMOTE_SUBCOMMANDS.has(subcommand) ? await this.connection() : NO_CONNECTION;
    try {
      return (await this.client(cwd, connection).raw([...this.baseArgs, ...connection.args, ...args])).replace(/\n$/, '');
    } catch (error) {
      if (error instanceof GitExit) throw new GitCommandError(subcommand, error.exitCode, error.message);
      throw new GitCommandError(subcommand, -1, this.redact(error instanceof Error ? error.message : String(error), connection));
    } finally {
      await connection.release?.();
    }
  }

  /**
   * Runs a command whose exit code is the answer (`merge-base --is-ancestor`, `diff --quiet`):
   * resolves with 0 or 1, and throws for anything else (a missing object, a broken repository).
   */
  async test(cwd: string, args: string[]): Promise<0 | 1> {
    try {
      await this.run(cwd, args);
      return 0;
    } catch (error) {
      if (error instanceof GitCommandError && error.exitCode === 1) return 1;
      throw error;
    }
  }

  redact(text: string, connection: GitConnection = NO_CONNECTION): string {
    return redactCredentials(text, [...this.secrets, ...(connection.secrets ?? [])]);
  }

  private client(cwd: string, connection: GitConnection): SimpleGit {
    const env = { ...this.env, ...connection.env };
    return simpleGit({
      baseDir: cwd,
      // simple-git refuses a GIT_* (or EDITOR, PAGER…) variable unless it is named here; every one set here is the runner's own.
      allowEnvironment: Object.keys(env),
      // The ssh command, the emptied helper list and the config paths are the runner's constants, not a town's input.
      // GIT_CONFIG_COUNT carries a rig's token as configuration git reads from its environment, never from argv.
      unsafe: {
        allowUnsafeSshCommand: true,
        allowUnsafeCredentialHelper: true,
        allowUnsafeConfigPaths: true,
        allowUnsafeProtocolOverride: true,
        allowUnsafeConfigEnvCount: true,
      },
      timeout: { block: this.silenceLimitMs },
      // simple-git only fails a command that wrote to stderr, and `diff --quiet` exits 1 silently:
      // every non-zero exit must fail, with its code, for `test` to read the answer.
      errors: (error, { exitCode, stdErr }) => {
        if (!exitCode && !error) return undefined;
        const stderr = Buffer.concat(stdErr).toString('utf8').trim();
        const detail = stderr || (error instanceof Error ? error.message : '');
        return new GitExit(exitCode || -1, this.redact(detail, connection));
      },
    }).env(env);
  }
}
