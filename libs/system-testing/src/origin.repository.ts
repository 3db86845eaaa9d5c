import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const IDENTITY = ['-c', 'user.name=Spec', '-c', 'user.email=spec@gastown.local', '-c', 'init.defaultBranch=main'];

/**
 * A temporary bare repository standing in for a rig's origin, with a reading clone to inspect
 * what really landed. git runs with argument arrays only.
 */
export class OriginRepository {
  readonly dir = mkdtempSync(join(tmpdir(), 'gt-origin-'));
  readonly bare = join(this.dir, 'origin.git');
  private readonly reader = join(this.dir, 'reader');
  /** The clone the repository was seeded from, and later a user's own clone, pushing outside Gastown. */
  private readonly seed = join(this.dir, 'seed');

  constructor(files: Record<string, string> = { 'README.md': '# demo rig\n' }) {
    git(this.dir, 'init', '--bare', this.bare);
    const seed = this.seed;
    git(this.dir, 'clone', this.bare, seed);
    for (const [path, content] of Object.entries(files)) writeFileSync(join(seed, path), content);
    git(seed, 'add', '-A');
    git(seed, 'commit', '-m', 'initial commit');
    git(seed, 'push', 'origin', 'HEAD:refs/heads/main');
    git(this.dir, 'clone', this.bare, this.reader);
    // From here on origin writes down every ref it is pushed: what reached a branch, and from where.
    writeFileSync(join(this.bare, 'hooks', 'post-receive'), `#!/bin/sh\nwhile read old new ref; do echo "$ref $old $new" >> ${JSON.stringify(this.pushLog)}; done\n`, { mode: 0o755 });
  }

  private get pushLog(): string {
    return join(this.dir, 'pushes.log');
  }

  /** Every push to origin since it was made, oldest first: the branch, the tip it moved from (zeros when created) and to. */
  pushes(): { branch: string; from: string; to: string }[] {
    if (!existsSync(this.pushLog)) return [];
    return readFileSync(this.pushLog, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [ref, from, to] = line.split(' ');
        return { branch: ref.replace(/^refs\/heads\//, ''), from, to };
      });
  }

  /** The tree of a commit on origin. */
  treeOf(commit: string): string {
    return git(this.bare, 'rev-parse', `${commit}^{tree}`);
  }

  /** Runs git in an up-to-date clone of origin and returns its output. */
  read(...args: string[]): string {
    git(this.reader, 'fetch', '--prune', 'origin');
    return git(this.reader, ...args);
  }

  /** A user's push to `branch` from elsewhere (not through Gastown): writes the files and returns the new commit. */
  push(branch: string, message: string, files: Record<string, string>): string {
    this.checkout(branch);
    for (const [path, content] of Object.entries(files)) writeFileSync(join(this.seed, path), content);
    git(this.seed, 'add', '-A');
    git(this.seed, 'commit', '-m', message);
    git(this.seed, 'push', 'origin', `HEAD:refs/heads/${branch}`);
    return git(this.seed, 'rev-parse', 'HEAD');
  }

  /** A user's `git revert` of `commit` on `branch`, pushed: returns the revert commit. */
  revert(branch: string, commit: string): string {
    this.checkout(branch);
    git(this.seed, 'revert', '--no-edit', commit);
    git(this.seed, 'push', 'origin', `HEAD:refs/heads/${branch}`);
    return git(this.seed, 'rev-parse', 'HEAD');
  }

  private checkout(branch: string): void {
    git(this.seed, 'fetch', 'origin');
    git(this.seed, 'checkout', '-q', '--detach', `origin/${branch}`);
  }

  branches(): string[] {
    return this.read('for-each-ref', '--format=%(refname:short)', 'refs/remotes/origin')
      .split('\n')
      .filter(Boolean)
      .map((b) => b.replace(/^origin\//, ''));
  }

  /** Commits of `ref` that added `path`: one means the change landed exactly once. */
  commitsAdding(ref: string, path: string): string[] {
    return this.read('log', '--format=%H', '--diff-filter=A', `origin/${ref}`, '--', path).split('\n').filter(Boolean);
  }

  isAncestor(commit: string, ofCommit: string): boolean {
    try {
      this.read('merge-base', '--is-ancestor', commit, ofCommit);
      return true;
    } catch {
      return false;
    }
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', [...IDENTITY, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}
