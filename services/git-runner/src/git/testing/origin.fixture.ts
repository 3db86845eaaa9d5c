import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * A bare repository on disk as a rig's origin, plus a person's clone that moves its branches the
 * way humans and other runners would. Git runs with a home of its own, so neither the machine's
 * global identity nor its configuration can make a test pass.
 */
export interface OriginFixture {
  /** A fresh temporary directory; everything the test creates lives under it. */
  readonly root: string;
  /** Where origin is, usable as a rig's gitUrl. */
  readonly url: string;
  /** An empty HOME for git, for the repositories under test too. */
  readonly home: string;
  /** Runs git in `cwd` (default: the person's clone) and returns its trimmed output. */
  git(args: string[], cwd?: string): string;
  /**
   * Commits `files` on `branch` of origin, as a person pushing, and returns the new tip. A new
   * branch starts from `from`.
   */
  commit(branch: string, files: Record<string, string>, options?: { from?: string; message?: string }): string;
  /** The tip of a branch on origin, or undefined. */
  tip(branch: string): string | undefined;
  remove(): void;
}

export function createOrigin(): OriginFixture {
  const root = mkdtempSync(join(tmpdir(), 'gt-git-runner-'));
  const url = join(root, 'origin.git');
  const home = join(root, 'home');
  const person = join(root, 'person');
  mkdirSync(home);
  const env = { PATH: process.env['PATH'] ?? '', HOME: home, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0' };
  const git = (args: string[], cwd = person): string =>
    execFileSync('git', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

  git(['init', '--quiet', '--bare', '--initial-branch=main', url], root);
  git(['init', '--quiet', '--initial-branch=main', person], root);
  git(['config', 'user.name', 'A Person']);
  git(['config', 'user.email', 'person@example.com']);
  git(['remote', 'add', 'origin', url]);

  const tip = (branch: string): string | undefined => {
    try {
      return git(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`], url);
    } catch {
      return undefined;
    }
  };

  const commit: OriginFixture['commit'] = (branch, files, { from = 'main', message = `change ${branch}` } = {}) => {
    git(['fetch', '--quiet', 'origin']);
    const start = tip(branch) ? `origin/${branch}` : tip(from) ? `origin/${from}` : undefined;
    if (start) git(['checkout', '--quiet', '--force', '-B', branch, start]);
    else git(['checkout', '--quiet', '--orphan', branch]);
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(person, path)), { recursive: true });
      writeFileSync(join(person, path), content);
    }
    git(['add', '--all']);
    git(['commit', '--quiet', '--allow-empty', '-m', message]);
    git(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`]);
    return git(['rev-parse', 'HEAD']);
  };

  commit('main', { 'README.md': '# rig\n', 'shared.txt': 'one\ntwo\nthree\n' }, { message: 'initial' });
  return { root, url, home, git, commit, tip, remove: () => rmSync(root, { recursive: true, force: true }) };
}
