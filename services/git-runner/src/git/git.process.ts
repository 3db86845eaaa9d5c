import { redactCredentials } from '@gastown/contracts';
import { GitError, simpleGit, type SimpleGit } from 'simple-git';

/**
 * The only variables a git child process gets from the runner's own environment. Everything
 * else (NATS credentials, tokens of other systems) stays out of git and out of its hooks; a
 * `GIT_*` variable inherited by accident (GIT_DIR, GIT_WORK_TREE) could point git at another
 * repository, and simple-git would strip it anyway.
 */
const INHERITED = [
  'PATH',
  'HOME',
  'USER',
  'TMPDIR',
  'SSH_AUTH_SOCK',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
];

/** A git process that hears nothing for this long is stuck (a dead remote, a hung transport), not slow. */
const SILENCE_LIMIT_MS = 5 * 60_000;

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
  /** Strings that must never appear in an error (the rig URL's credentials). */
  secrets?: readonly string[];
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
  private readonly allowEnvironment: string[];
  private readonly secrets: readonly string[];

  constructor(options: GitProcessOptions = {}) {
    const inherited: Record<string, string> = {};
    for (const name of INHERITED) {
      const value = process.env[name];
      if (value !== undefined) inherited[name] = value;
    }
    this.env = { ...inherited, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0', ...options.env };
    // simple-git refuses a GIT_* (or EDITOR, PAGER…) variable unless it is named here: ours and the operator's are meant.
    this.allowEnvironment = ['GIT_TERMINAL_PROMPT', ...Object.keys(options.env ?? {})];
    this.secrets = options.secrets ?? [];
  }

  /**
   * Runs `git <args>` in `cwd` and returns its standard output without the final newline (only
   * that: a `-z` listing may hold names that begin with spaces). A non-zero exit throws GitCommandError.
   */
  async run(cwd: string, args: string[]): Promise<string> {
    try {
      return (await this.client(cwd).raw(args)).replace(/\n$/, '');
    } catch (error) {
      const subcommand = args.find((arg) => !arg.startsWith('-') && !arg.includes('=')) ?? 'git';
      if (error instanceof GitExit) throw new GitCommandError(subcommand, error.exitCode, error.message);
      throw new GitCommandError(subcommand, -1, this.redact(error instanceof Error ? error.message : String(error)));
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

  redact(text: string): string {
    return redactCredentials(text, this.secrets);
  }

  private client(cwd: string): SimpleGit {
    return simpleGit({
      baseDir: cwd,
      allowEnvironment: this.allowEnvironment,
      timeout: { block: SILENCE_LIMIT_MS },
      // simple-git only fails a command that wrote to stderr, and `diff --quiet` exits 1 silently:
      // every non-zero exit must fail, with its code, for `test` to read the answer.
      errors: (error, { exitCode, stdErr }) => {
        if (!exitCode && !error) return undefined;
        const stderr = Buffer.concat(stdErr).toString('utf8').trim();
        const detail = stderr || (error instanceof Error ? error.message : '');
        return new GitExit(exitCode || -1, this.redact(detail));
      },
    }).env(this.env);
  }
}
