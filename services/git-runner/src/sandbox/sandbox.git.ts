import { lstat, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';

/**
 * The git metadata of a linked worktree: its `.git` file names the worktree's admin directory
 * (`<clone>/worktrees/<name>`), whose `commondir` file names the clone. A sandboxed agent may
 * write the admin directory, so the runner restores these pointers before its own git runs
 * there again: a `.git` or `commondir` pointing at a directory the agent made, holding a config
 * with `core.fsmonitor`, would run the agent's command as the runner.
 */
export interface WorktreeGit {
  readonly worktree: string;
  readonly adminDir: string;
  readonly commonDir: string;
  /** The pointer files as git wrote them, path to content. */
  readonly pointers: ReadonlyMap<string, string>;
}

async function regularFile(path: string): Promise<string | undefined> {
  const stat = await lstat(path).catch(() => undefined);
  return stat?.isFile() ? readFile(path, 'utf8') : undefined;
}

/** The metadata of the linked worktree at `worktree`; undefined for a plain directory or a main worktree. */
export async function worktreeGit(worktree: string): Promise<WorktreeGit | undefined> {
  const dotGitPath = join(worktree, '.git');
  const dotGit = await regularFile(dotGitPath);
  const gitdir = dotGit && /^gitdir: (.+)$/m.exec(dotGit)?.[1]?.trim();
  if (!dotGit || !gitdir) return undefined;
  const adminDir = resolve(worktree, gitdir);
  const commondirPath = join(adminDir, 'commondir');
  const commondir = await regularFile(commondirPath);
  if (commondir === undefined) return undefined;
  const commonDir = isAbsolute(commondir.trim()) ? commondir.trim() : resolve(adminDir, commondir.trim());
  // Anything else is not the layout `git worktree add` makes, and is not given to an agent.
  if (dirname(adminDir) !== join(commonDir, 'worktrees') || basename(adminDir) === '') return undefined;
  const pointers = new Map([[dotGitPath, dotGit], [commondirPath, commondir]]);
  const back = await regularFile(join(adminDir, 'gitdir'));
  if (back !== undefined) pointers.set(join(adminDir, 'gitdir'), back);
  return { worktree, adminDir, commonDir, pointers };
}

/** What the sandbox lets an agent write besides its worktree (see bwrapArgs). */
export function writableGitDirs(git: Pick<WorktreeGit, 'adminDir' | 'commonDir'>): string[] {
  return [git.adminDir, join(git.commonDir, 'objects'), join(git.commonDir, 'refs'), join(git.commonDir, 'logs')];
}

/**
 * Puts back the pointers as git wrote them, whatever the agent left in their place (a
 * directory, a symlink, another path), removes a per-worktree config the runner never makes,
 * and removes every symlink from the git directories the agent could write: git makes none
 * there, and the runner's git, reading through one, would read a host file (another town's
 * object) the agent itself could never see.
 */
export async function restoreWorktreeGit(git: WorktreeGit): Promise<void> {
  for (const [path, content] of git.pointers) {
    // Written aside and renamed over the pointer, which replaces a file or symlink in one step: a
    // pointer missing for a moment makes a `git worktree prune` run by the runner's other work
    // (another worktree's removal) drop this worktree's admin directory.
    const staged = `${path}.gastown-restore`;
    await rm(staged, { recursive: true, force: true });
    await writeFile(staged, content, { flag: 'wx' });
    if ((await lstat(path).catch(() => undefined))?.isDirectory()) await rm(path, { recursive: true, force: true });
    await rename(staged, path);
  }
  await rm(join(git.adminDir, 'config.worktree'), { recursive: true, force: true });
  for (const dir of writableGitDirs(git)) {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
    for (const entry of entries.filter((e) => e.isSymbolicLink())) await rm(join(entry.parentPath, entry.name), { force: true });
  }
}
