import { mkdirSync, realpathSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { histogram } from '@gastown/bus';
import { displayUrl, GitCommandError, GitProcess, urlSecrets, type GitConnection } from './git.process';
import { BranchNotFoundError, TargetMovedError } from './rig.errors';

export interface RigRepositoryOptions {
  rigId: string;
  /** Where origin lives; may carry credentials, which never reach a log or an error. */
  gitUrl: string;
  defaultBranch: string;
  /** This rig's own directory on the runner's disk: clone, worktrees and scratch worktrees live under it. */
  dir: string;
  /** Extra variables for every git process (an operator's credential setup). */
  env?: Record<string, string>;
  /** Single-tenant installs only: git may use the runner's own credentials. */
  ambientCredentials?: boolean;
  /** Re-checks origin and says how to reach it before every fetch and push; throws to refuse. */
  connection?: () => Promise<GitConnection>;
}

export interface GitAuthor {
  name: string;
  email: string;
}

/** Who merge commits are by: the refinery, not the agent whose work it merges. */
export const REFINERY_AUTHOR: GitAuthor = { name: 'Gastown Refinery', email: 'refinery@gastown.local' };

export interface FeatureBranch {
  created: boolean;
  tip: string;
}

export interface CreatedWorktree {
  path: string;
  /** The tip of origin/<base> the branch starts from, for diffs and for the agent's context. */
  baseCommit: string;
}

export interface CommitResult {
  head: string;
  committed: boolean;
}

export interface MergeRequest {
  source: string;
  target: string;
  message: string;
  /** Names the scratch worktree; the same key for a redone merge replaces the leftover one. */
  key: string;
}

export type MergeOutcome =
  /**
   * The source tip is already in the target: never merge again. `commit` is the target tip;
   * `broughtIn(target, sourceTip)` tells whether a merge brought it there with a change.
   */
  | { kind: 'already-merged'; commit: string; sourceTip: string }
  /** The source changes nothing in the target (at `targetTip`): a merge would land no code. */
  | { kind: 'empty'; targetTip: string }
  /** The merge was aborted and its scratch worktree removed. */
  | { kind: 'conflict'; files: string[] }
  /**
   * A merge commit in the scratch worktree `worktree`, not yet on origin. The caller runs the
   * checks there, then calls `pushMerge` with `targetTip` as the expected tip, and `discardMerge`
   * either way.
   */
  | { kind: 'merged'; commit: string; worktree: string; targetTip: string; sourceTip: string; tree: string };

export interface BatchEntry {
  source: string;
  message: string;
}

export type BatchEntryOutcome =
  /** Merged (no-ff) onto what the entries before it left: `commit` is its merge commit. */
  | { kind: 'merged'; commit: string; sourceTip: string }
  /** The source tip is already in what the batch is built on. */
  | { kind: 'already-merged'; sourceTip: string }
  /** The source would change nothing there. */
  | { kind: 'empty' }
  /** Conflicts with what the batch holds so far; the merge was aborted and the batch went on without it. */
  | { kind: 'conflict'; files: string[] }
  /** The source branch is not on origin. */
  | { kind: 'missing' };

export interface BatchRequest {
  target: string;
  /** Build on this commit (the tip of the batch ahead, not pushed yet) instead of origin's current target tip. */
  on?: string;
  entries: BatchEntry[];
  /** Names the scratch worktree, as for `merge`. */
  key: string;
}

export interface BuiltBatch {
  /** What the batch was built on: origin's target tip as fetched now, or `on`. */
  base: string;
  /** The last merged entry's merge commit; `base` when none merged. */
  tip: string;
  /** The scratch worktree at `tip`; none (already removed) when no entry merged. */
  worktree: string | undefined;
  /** One per entry, in order. */
  outcomes: BatchEntryOutcome[];
}

/** How a commit came to be in a branch: the merge on the branch's first-parent line that brought it. */
export interface BroughtIn {
  merge: string;
  /** Whether that merge changed any file of the branch (its first parent against itself). */
  changed: boolean;
}

export interface PushMergeRequest {
  commit: string;
  target: string;
  /** The target tip the merge was made on; the push only lands if origin still has it. */
  expectedTip: string;
  /** Throws when the caller's rig lease is lost; called immediately before the push. */
  fence: () => Promise<void>;
}

export interface RecoveryReport {
  /** Lock files a killed git left behind, relative to the clone. */
  removedLocks: string[];
  /** Worktrees whose half-done merge was aborted. */
  abortedMerges: string[];
  /** Worktrees whose half-done rebase was aborted. */
  abortedRebases: string[];
  /** Scratch worktrees (merges never pushed) and worktrees a crash left half-created. */
  removedWorktrees: string[];
}

interface WorktreeEntry {
  path: string;
  branch?: string;
  bare: boolean;
  lockReason?: string;
}

/** Worktree keys become directory names. */
const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const gitSeconds = histogram('gastown_rig_git_seconds');
/** The remote that pushBranch pushes through: origin's address, no remote-tracking refs. */
const PUSH_REMOTE = 'gastown-push';
/** How long a git command waits for another's lock on packed-refs. */
const PACKED_REFS_WAIT_MS = 30_000;
/** git's default `gc.auto`: loose objects before `gc --auto` packs them. */
const GC_AUTO_LOOSE_OBJECTS = 6700;
/** How often the clone is offered a `gc --auto` (cheap when under the thresholds: it counts one object directory). */
const FETCHES_PER_GC = 32;
/** Git's own lock files; a SIGKILLed git leaves them and every later command then fails. */
const TOP_LEVEL_LOCKS = ['index.lock', 'HEAD.lock', 'config.lock', 'packed-refs.lock', 'shallow.lock'];

/**
 * One rig's repository on this runner: a cached clone of origin plus worktrees for agents and
 * scratch worktrees for merges. Every operation converges on a target state, so redoing one
 * after a crash is safe. Three lanes, so that ten attempts do not each wait for every fetch,
 * batch and cleanup of the rig:
 * - the clone-wide queue, one operation at a time: fetches and what must read one fetch's refs,
 *   pushes of targets, recovery;
 * - the worktree registry, one change at a time, beside the queue: adding and removing worktrees
 *   (see `registered`);
 * - work inside one worktree (an attempt's checkout, commit and push, a batch's merges), which
 *   writes only that worktree, its own branch and new objects, as an agent's own git in its
 *   worktree always did: it runs beside both.
 * Only what rewrites the clone under all of them (recovery, gc) waits for the last two to end.
 */
export class RigRepository {
  readonly rigId: string;
  readonly defaultBranch: string;
  /** The origin URL without its credentials, for logs. */
  readonly displayUrl: string;
  private readonly gitUrl: string;
  private readonly root: string;
  private readonly clone: string;
  private readonly git: GitProcess;
  private queue: Promise<unknown> = Promise.resolve();
  /** The worktree registry's lane (see `registered`). */
  private registry: Promise<unknown> = Promise.resolve();
  /** Worktree and registry operations running now, and the quiesce they must wait for before beginning. */
  private readonly local = new Set<Promise<unknown>>();
  private quiescing: Promise<void> | undefined;
  /** Fetches since the last garbage collection. */
  private fetchesSinceGc = 0;
  private opened = false;
  private syncing: Promise<void> | undefined;
  /** Fetches numbered in the order they began; `fetched` is the latest that succeeded. */
  private fetchesBegun = 0;
  private fetched = 0;
  /** How many fetches had begun when the running operation was asked for. */
  private askedAfterFetch = 0;

  constructor(options: RigRepositoryOptions) {
    assertBranch(options.defaultBranch);
    this.rigId = options.rigId;
    this.defaultBranch = options.defaultBranch;
    this.gitUrl = options.gitUrl;
    this.displayUrl = displayUrl(options.gitUrl);
    // Git records worktree paths resolved; resolving the root once keeps our paths comparable with its list.
    mkdirSync(options.dir, { recursive: true });
    this.root = realpathSync(options.dir);
    this.clone = join(this.root, 'clone');
    this.git = new GitProcess({
      env: options.env,
      secrets: urlSecrets(options.gitUrl),
      ambientCredentials: options.ambientCredentials,
      connection: options.connection,
    });
  }

  /** Creates the clone when missing and fetches origin. Concurrent callers share one fetch. */
  ensureClone(): Promise<void> {
    this.syncing ??= this.exclusive('ensureClone', () => this.sync()).finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  /** The convoy's feature branch on origin: its tip when it exists, else created from the default branch's tip. */
  async ensureFeatureBranch(branch: string): Promise<FeatureBranch> {
    assertBranch(branch);
    return this.exclusive('ensureFeatureBranch', async () => {
      await this.sync();
      const existing = await this.tip(branch);
      if (existing) return { created: false, tip: existing };
      const base = await this.requireTip(this.defaultBranch);
      try {
        // An empty expected value: the push only creates, it never moves a branch someone else made.
        const lease = `--force-with-lease=refs/heads/${branch}:`;
        const report = await this.git.run(this.clone, ['push', '--porcelain', lease, 'origin', `${base}:refs/heads/${branch}`]);
        // `*` is a new ref. A racing replica that created it at the same tip makes ours "up to date" (`=`).
        return { created: report.split('\n').some((line) => line.startsWith('*\t')), tip: base };
      } catch (error) {
        await this.fetch();
        const raced = await this.tip(branch);
        if (raced) return { created: false, tip: raced };
        throw error;
      }
    });
  }

  /**
   * A fresh worktree at `<dir>/worktrees/<key>` on branch `branch`, reset to the current tip of
   * origin/<base>: every attempt starts from what the target holds now, not from an older attempt.
   */
  async createWorktree(request: { key: string; branch: string; base: string }): Promise<CreatedWorktree> {
    const { key, branch, base } = request;
    assertKey(key);
    assertWorkBranch(branch, this.defaultBranch);
    assertBranch(base);
    const baseCommit = await this.exclusive('fetchBase', async () => {
      await this.sync();
      return this.requireTip(base);
    });
    const path = this.worktreePath(key);
    await this.registered('addWorktree', async () => {
      const add = () => this.git.run(this.clone, ['worktree', 'add', '--no-checkout', '-B', branch, path, baseCommit]);
      await mkdir(join(this.root, 'worktrees'), { recursive: true });
      // The usual case, a new key and no other worktree on the branch, costs one git process.
      // Anything else makes `add` refuse before it creates anything (an older attempt still on the
      // branch, a registration a crash left), and is cleared first.
      if (!(await exists(path))) {
        const added = await add().then(
          () => true,
          (error: unknown) => {
            if (!(error instanceof GitCommandError)) throw error;
            return false;
          },
        );
        if (added) return;
      }
      const entries = await this.worktrees();
      // An older attempt under another key may still have the branch checked out, and git
      // refuses to check one branch out twice; that attempt is superseded by this one.
      for (const entry of entries) {
        if (entry.path === path || entry.branch === `refs/heads/${branch}`) await this.removeWorktreeAt(entry.path);
      }
      // A crash can leave the directory without its registration.
      if (!entries.some((entry) => entry.path === path) && (await exists(path))) await this.removeWorktreeAt(path);
      await add();
    });
    // Writing out the files (the heavy part for a large repository) touches only this worktree;
    // registered and not locked, it is no worktree a prune would remove.
    await this.worktreeLocal('checkout', () => this.git.run(path, ['reset', '--hard', baseCommit]));
    return { path, baseCommit };
  }

  /** Stages everything in the worktree and commits when anything changed. */
  async commitAll(path: string, commit: { message: string; author: GitAuthor }): Promise<CommitResult> {
    this.assertWorktree(path);
    return this.worktreeLocal('commitAll', async () => {
      // --verbose names what it staged: simple-git waits 50 ms after a command that prints nothing.
      await this.git.run(path, ['add', '--all', '--verbose']);
      let committed = true;
      try {
        await this.git.run(path, [...identity(commit.author), 'commit', '--no-verify', '-m', commit.message]);
      } catch (error) {
        // Exit code 1 is also commit's "nothing to commit"; asking first would cost two more git processes on every commit.
        const unchanged = error instanceof GitCommandError && error.exitCode === 1 && (await this.git.run(path, ['write-tree'])) === (await this.treeOf(path, 'HEAD'));
        if (!unchanged) throw error;
        committed = false;
      }
      return { head: await this.git.run(path, ['rev-parse', '--verify', 'HEAD^{commit}']), committed };
    });
  }

  /**
   * Force-pushes `head` (what commitAll made in the worktree) to origin's `branch`: a new attempt
   * replaces the old one. Through PUSH_REMOTE, which maps no remote-tracking ref: a push through
   * origin would move origin/<branch> in the clone under a fetch running meanwhile, which then
   * fails on a ref that is no longer where it read it. The next fetch brings the branch.
   */
  async pushBranch(path: string, branch: string, head: string): Promise<void> {
    this.assertWorktree(path);
    assertWorkBranch(branch, this.defaultBranch);
    assertObjectId(head);
    await this.worktreeLocal('pushBranch', () => this.git.run(path, ['push', '--force', PUSH_REMOTE, `${head}:refs/heads/${branch}`]));
  }

  /** Removes the worktree of `key` and its local branch (origin keeps whatever was pushed). Idempotent. */
  async removeWorktree(key: string): Promise<void> {
    assertKey(key);
    return this.registered('removeWorktree', async () => {
      const removed = await this.removeWorktreeAt(this.worktreePath(key));
      if (removed?.branch?.startsWith('refs/heads/')) {
        // `branch -D` says what it deleted (update-ref -d is silent, which simple-git pays 50 ms for).
        await this.git.run(this.clone, ['branch', '-D', removed.branch.slice('refs/heads/'.length)]);
      } else if (removed?.branch) {
        await this.git.run(this.clone, ['update-ref', '-d', removed.branch]);
      }
    });
  }

  /**
   * Run once at start, before any other operation: clears what a killed runner left behind
   * (lock files, half-done merges and rebases, scratch worktrees, half-created worktrees).
   * Agent worktrees stay, clean, for the agent runner to resume or remove.
   */
  async recover(): Promise<RecoveryReport> {
    // It deletes lock files: any git still running in a worktree would lose the ones it holds.
    return this.exclusive('recover', () => this.quiesced(async () => {
      await this.open();
      const removedLocks = await this.removeLocks();
      const report: RecoveryReport = { removedLocks, abortedMerges: [], abortedRebases: [], removedWorktrees: [] };
      for (const entry of await this.worktrees()) {
        if (entry.bare) continue;
        // `git worktree add` locks a worktree as "initializing" until its checkout is complete,
        // and prune never removes a locked one: a crash midway leaves it registered for good.
        if (entry.lockReason === 'initializing') {
          await this.removeWorktreeAt(entry.path);
          report.removedWorktrees.push(entry.path);
          continue;
        }
        if (!(await exists(entry.path))) continue;
        const gitDir = await this.git.run(entry.path, ['rev-parse', '--absolute-git-dir']);
        if (await exists(join(gitDir, 'MERGE_HEAD'))) {
          await this.git.run(entry.path, ['merge', '--abort']);
          report.abortedMerges.push(entry.path);
        }
        if ((await exists(join(gitDir, 'rebase-merge'))) || (await exists(join(gitDir, 'rebase-apply')))) {
          await this.git.run(entry.path, ['rebase', '--abort']);
          report.abortedRebases.push(entry.path);
        }
        if (this.isScratch(entry.path)) {
          await this.removeWorktreeAt(entry.path);
          report.removedWorktrees.push(entry.path);
        }
      }
      await this.git.run(this.clone, ['worktree', 'prune']);
      const scratch = join(this.root, 'scratch');
      for (const name of (await exists(scratch)) ? await readdir(scratch) : []) {
        await rm(join(scratch, name), { recursive: true, force: true });
        report.removedWorktrees.push(join(scratch, name));
      }
      await rm(this.trashDir, { recursive: true, force: true });
      return report;
    }));
  }

  /**
   * The refinery's merge of origin/<source> into origin/<target>, made in the scratch worktree
   * `<dir>/scratch/<key>` and not pushed. Decides from origin's current state, so a merge that
   * already landed (a crash after the push) is recognised instead of made twice.
   */
  async merge(request: MergeRequest): Promise<MergeOutcome> {
    const { source, target, message, key } = request;
    assertBranch(source);
    assertBranch(target);
    assertKey(key);
    return this.exclusive('merge', async () => {
      await this.sync();
      const targetTip = await this.requireTip(target);
      const sourceTip = await this.requireTip(source);
      if (await this.isAncestor(sourceTip, targetTip)) {
        return { kind: 'already-merged', commit: targetTip, sourceTip };
      }
      const mergeBase = await this.git.run(this.clone, ['merge-base', targetTip, sourceTip]);
      if (await this.sameTree(this.clone, mergeBase, sourceTip)) return { kind: 'empty', targetTip };

      const path = await this.addScratch(key, targetTip);
      try {
        await this.git.run(path, [...identity(REFINERY_AUTHOR), 'merge', '--no-ff', '--no-verify', '-m', message, sourceTip]);
      } catch (error) {
        const files = await this.conflictedFiles(path);
        await this.removeScratch(path);
        if (files.length > 0) return { kind: 'conflict', files };
        throw error;
      }
      // The source's changes may already be in the target by another route (a cherry-pick):
      // the merge then lands no code, which must not pass for a delivered bead.
      if (await this.sameTree(path, targetTip, 'HEAD')) {
        await this.removeScratch(path);
        return { kind: 'empty', targetTip };
      }
      const commit = await this.git.run(path, ['rev-parse', '--verify', 'HEAD^{commit}']);
      return { kind: 'merged', commit, worktree: path, targetTip, sourceTip, tree: await this.treeOf(path, commit) };
    });
  }

  /**
   * The refinery's batch: each entry's origin branch merged (no-ff, one merge commit each) onto
   * what the entries before it left, in the scratch worktree `<dir>/scratch/<key>`, nothing
   * pushed. An entry that conflicts, changes nothing or is already in is left out and the batch
   * goes on, so one bad entry never costs the others their place.
   */
  async buildBatch(request: BatchRequest): Promise<BuiltBatch> {
    const { target, on, entries, key } = request;
    assertBranch(target);
    assertKey(key);
    for (const entry of entries) assertBranch(entry.source);
    if (on !== undefined) assertObjectId(on);
    const { base, sourceTips } = await this.exclusive('buildBatch', async () => {
      // A batch built on the one ahead uses the fetch that one was built from: both must see one origin.
      if (on === undefined) await this.sync();
      else await this.open();
      const base = on ?? (await this.requireTip(target));
      // Every source read from the same fetch as the base, before any other operation moves a ref.
      const sourceTips: (string | undefined)[] = [];
      for (const entry of entries) sourceTips.push(await this.tip(entry.source));
      return { base, sourceTips };
    });
    const path = await this.addScratch(key, base);
    // The merges read objects by id and write only the scratch worktree and new objects.
    const { head, outcomes } = await this.worktreeLocal('mergeBatch', async () => {
      let head = base;
      const outcomes: BatchEntryOutcome[] = [];
      for (const [index, entry] of entries.entries()) {
        const outcome = await this.mergeInto(path, head, entry, sourceTips[index]);
        if (outcome.kind === 'merged') head = outcome.commit;
        outcomes.push(outcome);
      }
      return { head, outcomes };
    });
    if (head !== base) return { base, tip: head, worktree: path, outcomes };
    await this.removeScratch(path);
    return { base, tip: base, worktree: undefined, outcomes };
  }

  private async mergeInto(path: string, head: string, entry: BatchEntry, sourceTip: string | undefined): Promise<BatchEntryOutcome> {
    if (!sourceTip) return { kind: 'missing' };
    if (await this.isAncestor(sourceTip, head)) return { kind: 'already-merged', sourceTip };
    const mergeBase = await this.git.run(this.clone, ['merge-base', head, sourceTip]);
    if (await this.sameTree(this.clone, mergeBase, sourceTip)) return { kind: 'empty' };
    try {
      await this.git.run(path, [...identity(REFINERY_AUTHOR), 'merge', '--no-ff', '--no-verify', '-m', entry.message, sourceTip]);
    } catch (error) {
      const files = await this.conflictedFiles(path);
      if (files.length > 0) return { kind: 'conflict', files };
      throw error;
    }
    const commit = await this.git.run(path, ['rev-parse', '--verify', 'HEAD^{commit}']);
    // Its changes are already there by another route (a cherry-pick): a merge of no code is no delivery.
    if (await this.sameTree(path, head, commit)) {
      await this.git.run(path, ['reset', '--hard', head]);
      return { kind: 'empty' };
    }
    return { kind: 'merged', commit, sourceTip };
  }

  /** A scratch worktree at `commit` (a prefix of a batch, for its own check run); removed with `discardMerge(key)`. */
  async scratchAt(key: string, commit: string): Promise<string> {
    assertKey(key);
    assertObjectId(commit);
    return this.addScratch(key, commit);
  }

  /** A scratch worktree `<dir>/scratch/<key>` at `commit`, detached, replacing any left under that key. */
  private addScratch(key: string, commit: string): Promise<string> {
    const path = this.scratchPath(key);
    return this.registered('addScratch', async () => {
      await this.removeWorktreeAt(path);
      await mkdir(join(this.root, 'scratch'), { recursive: true });
      await this.git.run(this.clone, ['worktree', 'add', '--detach', path, commit]);
      return path;
    });
  }

  private async removeScratch(path: string): Promise<void> {
    await this.registered('removeScratch', () => this.removeWorktreeAt(path));
  }

  /** Removes a merge's scratch worktree (after its push, or to discard it). Idempotent. */
  async discardMerge(key: string): Promise<void> {
    assertKey(key);
    return this.removeScratch(this.scratchPath(key));
  }

  /**
   * Moves origin's `target` to `commit`, only if it is still at `expectedTip`, and only while the
   * caller holds the rig lease. The lease alone cannot stop a holder that stalls between its
   * check and its push; the compare-and-set on the ref itself can.
   */
  async pushMerge(request: PushMergeRequest): Promise<string> {
    const { commit, target, expectedTip, fence } = request;
    assertBranch(target);
    assertObjectId(commit);
    assertObjectId(expectedTip);
    return this.exclusive('pushMerge', async () => {
      await this.open();
      await fence();
      try {
        const lease = `--force-with-lease=refs/heads/${target}:${expectedTip}`;
        await this.git.run(this.clone, ['push', lease, 'origin', `${commit}:refs/heads/${target}`]);
        return commit;
      } catch (error) {
        if (!(error instanceof GitCommandError) || !/\(stale info\)|\(fetch first\)|\(non-fast-forward\)/.test(error.stderr)) throw error;
        await this.fetch();
        // Our own earlier push (the reply lost in a crash) already put the commit there.
        if ((await this.tip(target)) === commit) return commit;
        throw new TargetMovedError(target, expectedTip);
      }
    });
  }

  /** Whether origin/<target>, as fetched now, contains `commit`. */
  async contains(target: string, commit: string): Promise<boolean> {
    assertBranch(target);
    assertObjectId(commit);
    return this.exclusive('contains', async () => {
      await this.sync();
      const tip = await this.requireTip(target);
      if (!(await this.known(commit))) return false;
      return this.isAncestor(commit, tip);
    });
  }

  /**
   * The merge on origin/<target>'s first-parent line that brought `commit` into it. Null when the
   * target does not contain `commit`, or when `commit` lies on that line itself: then no merge
   * brought it, it is part of the target's own history (a branch that never moved from where it
   * started, or one fast-forwarded), and it cannot count as delivered work.
   */
  async broughtIn(target: string, commit: string): Promise<BroughtIn | null> {
    assertBranch(target);
    assertObjectId(commit);
    return this.exclusive('broughtIn', async () => {
      await this.sync();
      const tip = await this.requireTip(target);
      if (!(await this.known(commit))) return null;
      if (!(await this.isAncestor(commit, tip))) return null;
      // Newest first: the target's first-parent line down to the oldest commit that descends from `commit`.
      const line = (await this.git.run(this.clone, ['rev-list', '--first-parent', '--ancestry-path', `${commit}..${tip}`])).split('\n');
      const oldest = line[line.length - 1];
      if (!oldest) return null;
      const before = await this.git.run(this.clone, ['rev-parse', '--verify', `${oldest}^1`]);
      if (before === commit) return null;
      return { merge: oldest, changed: !(await this.sameTree(this.clone, before, oldest)) };
    });
  }

  /** Keys of the agent worktrees on disk (a restarted runner removes those its previous life left). */
  async worktreeKeys(): Promise<string[]> {
    return this.exclusive('worktreeKeys', async () => {
      const dir = join(this.root, 'worktrees');
      return (await exists(dir)) ? (await readdir(dir)).filter((name) => KEY.test(name)).sort() : [];
    });
  }

  /*
   * simple-git waits 50 ms after any command that printed nothing, so the refinery's yes/no
   * questions are asked with commands that always answer instead of by exit code
   * (`merge-base --is-ancestor`, `diff --quiet`): they run several times per merge.
   */

  /** Whether `commit` is `of` or one of its ancestors. */
  private async isAncestor(commit: string, of: string): Promise<boolean> {
    return (await this.git.run(this.clone, ['rev-list', '--count', `${of}..${commit}`])) === '0';
  }

  private async treeOf(cwd: string, commit: string): Promise<string> {
    return this.git.run(cwd, ['rev-parse', '--verify', `${commit}^{tree}`]);
  }

  /** Whether two commits hold identical trees: nothing would change between them. */
  private async sameTree(cwd: string, a: string, b: string): Promise<boolean> {
    return (await this.treeOf(cwd, a)) === (await this.treeOf(cwd, b));
  }

  /** Whether the trees of two commits are identical. */
  async diffIsEmpty(base: string, head: string): Promise<boolean> {
    return this.withCommits([base, head], () => this.sameTree(this.clone, base, head));
  }

  /** Paths that differ between two commits. */
  async changedFiles(base: string, head: string): Promise<string[]> {
    return this.withCommits([base, head], async () => splitNul(await this.git.run(this.clone, ['diff', '--name-only', '-z', base, head])));
  }

  private withCommits<T>(commits: string[], read: () => Promise<T>): Promise<T> {
    commits.forEach(assertObjectId);
    return this.exclusive('readCommits', async () => {
      await this.open();
      for (const commit of commits) {
        if (!(await this.known(commit))) {
          await this.fetch();
          break;
        }
      }
      return read();
    });
  }

  /** Serialises the instance's operations on the clone; a failed one does not block the next. */
  private exclusive<T>(name: string, operation: () => Promise<T>): Promise<T> {
    const askedAfterFetch = this.fetchesBegun;
    const asked = performance.now();
    const start = () => {
      this.askedAfterFetch = askedAfterFetch;
      return this.measured(name, asked, operation);
    };
    const run = this.queue.then(start, start);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Times `operation` as waiting (since `asked`) and running: a slow rig says whether it waits for its queue or for git. */
  private async measured<T>(name: string, asked: number, operation: () => Promise<T>): Promise<T> {
    const started = performance.now();
    gitSeconds.observe({ operation: name, state: 'waiting' }, (started - asked) / 1000);
    try {
      return await operation();
    } finally {
      gitSeconds.observe({ operation: name, state: 'running' }, (performance.now() - started) / 1000);
    }
  }

  /**
   * Runs work confined to one worktree beside the queue (see the class comment), once the clone
   * is set up and unless recovery or gc is rewriting it.
   */
  private worktreeLocal<T>(name: string, operation: () => Promise<T>): Promise<T> {
    const asked = performance.now();
    return this.unquiesced(() => this.measured(name, asked, operation));
  }

  /**
   * Changes the worktree registry (`git worktree add`, removal and prune) one at a time, beside
   * the clone-wide queue and never inside it from here (the queue may wait on this lane, this
   * lane never waits on the queue). One at a time because git's registry takes no lock: a prune
   * drops the entry of a worktree that an `add` is creating at that instant, and a removal may
   * delete the directory an `add` is about to create its entry in.
   */
  private registered<T>(name: string, operation: () => Promise<T>): Promise<T> {
    const asked = performance.now();
    return this.unquiesced(() => {
      const start = () => this.measured(name, asked, operation);
      const run = this.registry.then(start, start);
      this.registry = run.catch(() => undefined);
      return run;
    });
  }

  /** Runs `operation` once the clone is set up and no recovery or gc is rewriting it; they wait for it in turn. */
  private async unquiesced<T>(operation: () => Promise<T>): Promise<T> {
    if (!this.opened) await this.exclusive('open', () => this.open());
    while (this.quiescing) await this.quiescing;
    const run = operation();
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.local.add(settled);
    void settled.then(() => this.local.delete(settled));
    return run;
  }

  /** Runs `operation` (from inside the queue) once no worktree-local work runs, and lets none begin until it ends. */
  private async quiesced<T>(operation: () => Promise<T>): Promise<T> {
    let end!: () => void;
    this.quiescing = new Promise((resolve) => (end = resolve));
    try {
      await Promise.all([...this.local]);
      return await operation();
    } finally {
      this.quiescing = undefined;
      end();
    }
  }

  /**
   * Brings origin's refs up to date for the running operation. A fetch that began after the
   * operation was asked for already saw origin as it was then or later, so the operations queued
   * behind one fetch share it instead of each paying for their own.
   */
  private async sync(): Promise<void> {
    await this.open();
    if (this.fetched > this.askedAfterFetch) return;
    await this.fetch();
  }

  /** A bare repository with origin set: each step is a no-op when already done, so a crash midway is harmless. */
  private async open(): Promise<void> {
    if (this.opened) return;
    await mkdir(this.clone, { recursive: true });
    await this.git.run(this.clone, ['init', '--bare']);
    const remotes = (await this.git.run(this.clone, ['remote'])).split('\n');
    await this.git.run(this.clone, ['remote', remotes.includes('origin') ? 'set-url' : 'add', '--', 'origin', this.gitUrl]);
    // A detached background gc would hold locks that make our next command fail.
    await this.git.run(this.clone, ['config', 'gc.autoDetach', 'false']);
    // Pushes of work branches go through a remote with the same address and no fetch refspec (see pushBranch).
    await this.git.run(this.clone, ['config', '--', `remote.${PUSH_REMOTE}.url`, this.gitUrl]);
    // No git of ours collects garbage on its own (commit, merge and fetch would, beside worktree
    // work): collectGarbage does, with the worktrees quiet.
    await this.git.run(this.clone, ['config', 'gc.auto', '0']);
    await this.git.run(this.clone, ['config', 'maintenance.auto', 'false']);
    // Lanes that run side by side may both rewrite packed-refs (a fetch pruning, a branch
    // deleted): the second waits for the first's lock instead of failing after git's 1 s.
    await this.git.run(this.clone, ['config', 'core.packedRefsTimeout', String(PACKED_REFS_WAIT_MS)]);
    this.opened = true;
  }

  private async fetch(): Promise<void> {
    const fetch = ++this.fetchesBegun;
    // --verbose: a fetch with nothing new prints nothing, and simple-git waits 50 ms after silence.
    await this.git.run(this.clone, ['fetch', '--prune', '--verbose', 'origin']);
    this.fetched = fetch;
    if (++this.fetchesSinceGc >= FETCHES_PER_GC) await this.collectGarbage();
  }

  /**
   * What `gc --auto` would have done after a fetch: pack loose objects and refs once there are
   * enough of them (git's own thresholds), while no worktree work runs, since packing refs
   * rewrites refs under them.
   */
  private async collectGarbage(): Promise<void> {
    this.fetchesSinceGc = 0;
    await this.quiesced(() => this.git.run(this.clone, ['-c', `gc.auto=${GC_AUTO_LOOSE_OBJECTS}`, 'gc', '--auto']));
  }

  private async tip(branch: string): Promise<string | undefined> {
    try {
      return await this.git.run(this.clone, ['rev-parse', '--verify', '--quiet', `refs/remotes/origin/${branch}^{commit}`]);
    } catch (error) {
      if (error instanceof GitCommandError && error.exitCode === 1) return undefined;
      throw error;
    }
  }

  private async requireTip(branch: string): Promise<string> {
    const tip = await this.tip(branch);
    if (!tip) throw new BranchNotFoundError(this.rigId, branch);
    return tip;
  }

  private async known(commit: string): Promise<boolean> {
    return (await this.git.test(this.clone, ['rev-parse', '--verify', '--quiet', `${commit}^{commit}`])) === 0;
  }

  private async conflictedFiles(path: string): Promise<string[]> {
    const files = splitNul(await this.git.run(path, ['diff', '--name-only', '--diff-filter=U', '-z']));
    if (files.length > 0) await this.git.run(path, ['merge', '--abort']);
    return files;
  }

  /** Removes a worktree whatever state it is in (dirty, locked, half-created, gone from disk). Returns what was registered there. */
  private async removeWorktreeAt(path: string): Promise<WorktreeEntry | undefined> {
    const entry = (await this.worktrees()).find((candidate) => candidate.path === path);
    if (!entry && !(await exists(path))) return undefined;
    if (entry?.lockReason !== undefined) {
      // Twice forced: a locked worktree is one that prune alone would keep.
      await this.git.run(this.clone, ['worktree', 'remove', '--force', '--force', path]).catch(() => undefined);
    }
    // Moving the directory away and pruning forgets any worktree, dirty or damaged; --verbose
    // because simple-git waits 50 ms after a command that prints nothing. The move is one step;
    // deleting a large worktree is not, and the registry's lane does not wait for it.
    const trash = join(this.trashDir, `${basename(path)}-${randomUUID()}`);
    await mkdir(this.trashDir, { recursive: true });
    const moved = await rename(path, trash).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
        return false;
      },
    );
    await this.git.run(this.clone, ['worktree', 'prune', '--verbose']);
    if (moved) void rm(trash, { recursive: true, force: true }).catch(() => undefined);
    return entry;
  }

  private async worktrees(): Promise<WorktreeEntry[]> {
    const entries: WorktreeEntry[] = [];
    for (const field of (await this.git.run(this.clone, ['worktree', 'list', '--porcelain', '-z'])).split('\0')) {
      const [name, ...rest] = field.split(' ');
      const value = rest.join(' ');
      if (name === 'worktree') entries.push({ path: value, bare: false });
      const current = entries[entries.length - 1];
      if (!current) continue;
      if (name === 'branch') current.branch = value;
      if (name === 'bare') current.bare = true;
      if (name === 'locked') current.lockReason = value;
    }
    return entries;
  }

  private async removeLocks(): Promise<string[]> {
    const locks = TOP_LEVEL_LOCKS.map((name) => join(this.clone, name));
    const worktreeAdmin = join(this.clone, 'worktrees');
    for (const name of (await exists(worktreeAdmin)) ? await readdir(worktreeAdmin) : []) {
      locks.push(join(worktreeAdmin, name, 'index.lock'), join(worktreeAdmin, name, 'HEAD.lock'));
    }
    for (const name of await readdir(join(this.clone, 'refs'), { recursive: true })) {
      if (name.endsWith('.lock')) locks.push(join(this.clone, 'refs', name));
    }
    const removed: string[] = [];
    for (const lock of locks) {
      if (!(await exists(lock))) continue;
      await rm(lock, { force: true });
      removed.push(relative(this.clone, lock));
    }
    return removed;
  }

  private worktreePath(key: string): string {
    return join(this.root, 'worktrees', key);
  }

  /** Where removed worktrees wait to be deleted; what a crash left there goes at the next recovery. */
  private get trashDir(): string {
    return join(this.root, 'trash');
  }

  private scratchPath(key: string): string {
    return join(this.root, 'scratch', key);
  }

  private isScratch(path: string): boolean {
    return relative(join(this.root, 'scratch'), path).split('/')[0] !== '..';
  }

  /** Only agent worktrees are written to through a path; anything else is a caller's mistake. */
  private assertWorktree(path: string): void {
    const inside = relative(join(this.root, 'worktrees'), path);
    if (!KEY.test(inside)) throw new Error(`${path} is not a worktree of rig ${this.rigId}`);
  }
}

function identity(author: GitAuthor): string[] {
  return ['-c', `user.name=${author.name}`, '-c', `user.email=${author.email}`, '-c', 'commit.gpgsign=false'];
}

/**
 * Branch names arrive validated, but they also become single git arguments and refspec halves:
 * a leading `-` would read as an option, a `:` would split a refspec, `^~@{..` are revision syntax.
 */
function assertBranch(name: string): void {
  const control = [...name].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f);
  const invalid =
    name === '' || name.startsWith('-') || control || /[\s:^~?*[\\]|\.\.|@\{|\/\/|^\/|\/$|\.lock$|\.$/.test(name);
  if (invalid) throw new Error(`not a usable branch name: ${JSON.stringify(name)}`);
}

/** Branches the runner force-pushes: never the rig's default branch. */
function assertWorkBranch(name: string, defaultBranch: string): void {
  assertBranch(name);
  if (name === defaultBranch) throw new Error(`refusing to use the default branch ${name} as a work branch`);
}

function assertKey(key: string): void {
  if (!KEY.test(key)) throw new Error(`not a usable worktree key: ${JSON.stringify(key)}`);
}

function assertObjectId(value: string): void {
  if (!OBJECT_ID.test(value)) throw new Error(`not a full commit id: ${JSON.stringify(value)}`);
}

function splitNul(output: string): string[] {
  return output.split('\0').filter((part) => part.length > 0);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
