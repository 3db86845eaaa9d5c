import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { GitCommandError } from './git.process';
import { TargetMovedError } from './rig.errors';
import { RigRepository } from './rig.repository';
import { createOrigin, type OriginFixture } from './testing/origin.fixture';

const FEATURE = 'convoy/login-page/0a1b2c3d/head';
const bead = (id: string) => `convoy/login-page/0a1b2c3d/gt/polecat-1/${id}`;
const author = { name: 'Polecat One', email: 'polecat-1@gastown.local' };
const noFence = async () => undefined;

describe('RigRepository against a real origin', () => {
  let origin: OriginFixture;
  let replicas = 0;
  /** A runner's view of the rig; each call is another replica with its own clone. */
  const open = (dir = join(origin.root, `runner-${++replicas}`)) =>
    new RigRepository({ rigId: 'rig-web', gitUrl: origin.url, defaultBranch: 'main', dir, env: { HOME: origin.home } });
  const parents = (commit: string, cwd = origin.url) => origin.git(['rev-list', '--parents', '-n', '1', commit], cwd).split(' ').slice(1);
  const mergeCount = (branch: string) => Number(origin.git(['rev-list', '--merges', '--count', branch], origin.url));

  beforeAll(() => {
    origin = createOrigin();
  });

  afterAll(() => origin.remove());

  it('creates the feature branch once, from the default branch, and any replica then finds it', async () => {
    const repo = open();
    await Promise.all([repo.ensureClone(), repo.ensureClone(), repo.ensureClone()]);
    const main = origin.tip('main');

    expect(await repo.ensureFeatureBranch(FEATURE)).toEqual({ created: true, tip: main });
    expect(origin.tip(FEATURE)).toBe(main);
    expect(await repo.ensureFeatureBranch(FEATURE)).toEqual({ created: false, tip: main });
    expect(await open().ensureFeatureBranch(FEATURE)).toEqual({ created: false, tip: main });
  });

  it('lets exactly one of two racing replicas create a feature branch', async () => {
    const branch = 'convoy/race/11112222/head';
    const results = await Promise.all([open().ensureFeatureBranch(branch), open().ensureFeatureBranch(branch)]);

    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(results.map((result) => result.tip)).toEqual([origin.tip('main'), origin.tip('main')]);
  });

  it('starts every attempt of a bead from the current target tip, commits only real changes and pushes the branch', async () => {
    const repo = open();
    await repo.ensureFeatureBranch(FEATURE);
    const first = await repo.createWorktree({ key: 'bead-a-1', branch: bead('aaaa0001'), base: FEATURE });
    expect(first.baseCommit).toBe(origin.tip(FEATURE));
    expect(origin.git(['rev-parse', 'HEAD'], first.path)).toBe(first.baseCommit);
    expect(origin.git(['branch', '--show-current'], first.path)).toBe(bead('aaaa0001'));

    writeFileSync(join(first.path, 'attempt-1.txt'), 'first try\n');
    const committed = await repo.commitAll(first.path, { message: 'first try', author });
    expect(committed.committed).toBe(true);
    expect(origin.git(['log', '-1', '--format=%an <%ae>|%cn', committed.head], first.path)).toBe(
      'Polecat One <polecat-1@gastown.local>|Polecat One',
    );
    expect(await repo.commitAll(first.path, { message: 'nothing', author })).toEqual({ head: committed.head, committed: false });
    await repo.pushBranch(first.path, bead('aaaa0001'), committed.head);
    expect(origin.tip(bead('aaaa0001'))).toBe(committed.head);

    // The target moves (another bead merged); the retry must start from there, not from attempt 1.
    const moved = origin.commit(FEATURE, { 'other.txt': 'merged meanwhile\n' });
    const second = await repo.createWorktree({ key: 'bead-a-2', branch: bead('aaaa0001'), base: FEATURE });
    expect(second.baseCommit).toBe(moved);
    expect(existsSync(join(second.path, 'attempt-1.txt'))).toBe(false);
    expect(existsSync(join(second.path, 'other.txt'))).toBe(true);
    // The superseded attempt's worktree held the branch, so it was removed.
    expect(existsSync(first.path)).toBe(false);

    // Same key again: the leftover (dirty) worktree is replaced.
    writeFileSync(join(second.path, 'junk.txt'), 'left by a crash\n');
    const third = await repo.createWorktree({ key: 'bead-a-2', branch: bead('aaaa0001'), base: FEATURE });
    expect(third.path).toBe(second.path);
    expect(existsSync(join(third.path, 'junk.txt'))).toBe(false);

    writeFileSync(join(third.path, 'attempt-3.txt'), 'third try\n');
    const head = (await repo.commitAll(third.path, { message: 'third try', author })).head;
    await repo.pushBranch(third.path, bead('aaaa0001'), head);
    expect(origin.tip(bead('aaaa0001'))).toBe(head);
    expect(await repo.changedFiles(third.baseCommit, head)).toEqual(['attempt-3.txt']);
    expect(await repo.diffIsEmpty(third.baseCommit, head)).toBe(false);
    expect(await repo.diffIsEmpty(head, head)).toBe(true);

    expect(await repo.worktreeKeys()).toEqual(['bead-a-2']);
    await repo.removeWorktree('bead-a-2');
    await repo.removeWorktree('bead-a-2');
    expect(existsSync(third.path)).toBe(false);
    expect(await repo.worktreeKeys()).toEqual([]);
    expect(origin.git(['worktree', 'list'], join(third.path, '..', '..', 'clone'))).not.toContain('bead-a-2');
  });

  it('lets the attempts queued behind one fetch share it, but never starts one from a tip older than its request', async () => {
    const trace = join(origin.root, 'git-trace.log');
    const dir = join(origin.root, `runner-${++replicas}`);
    const repo = new RigRepository({ rigId: 'rig-web', gitUrl: origin.url, defaultBranch: 'main', dir, env: { HOME: origin.home, GIT_TRACE: trace } });
    const fetches = () => readFileSync(trace, 'utf8').split('\n').filter((line) => line.includes(' fetch --prune')).length;
    await repo.ensureFeatureBranch(FEATURE);
    const before = fetches();
    const tip = origin.tip(FEATURE);

    const queued = await Promise.all(
      ['bead-q-1', 'bead-q-2', 'bead-q-3'].map((key, i) => repo.createWorktree({ key, branch: bead(`cccc000${i}`), base: FEATURE })),
    );
    expect(queued.map((worktree) => worktree.baseCommit)).toEqual([tip, tip, tip]);
    expect(fetches() - before).toBe(1);

    const moved = origin.commit(FEATURE, { 'queued.txt': 'after the shared fetch\n' });
    expect((await repo.createWorktree({ key: 'bead-q-4', branch: bead('cccc0004'), base: FEATURE })).baseCommit).toBe(moved);
    expect(fetches() - before).toBe(2);
    for (const key of await repo.worktreeKeys()) await repo.removeWorktree(key);
  });

  it('merges cleanly with --no-ff, pushes with the expected tip, and never merges the same source twice', async () => {
    const repo = open();
    await repo.ensureFeatureBranch(FEATURE);
    const source = bead('bbbb0001');
    const sourceTip = origin.commit(source, { 'feature-b.txt': 'b\n' }, { from: FEATURE });
    const targetTip = origin.tip(FEATURE);
    const mergesBefore = mergeCount(FEATURE);

    const outcome = await repo.merge({ source, target: FEATURE, message: 'Merge bead b', key: 'merge-b' });
    if (outcome.kind !== 'merged') throw new Error(`expected a merge, got ${outcome.kind}`);
    expect(outcome).toMatchObject({ targetTip, sourceTip });
    expect(parents(outcome.commit, outcome.worktree)).toEqual([targetTip, sourceTip]);
    expect(origin.git(['log', '-1', '--format=%an <%ae>|%s', outcome.commit], outcome.worktree)).toBe(
      'Gastown Refinery <refinery@gastown.local>|Merge bead b',
    );
    expect(readFileSync(join(outcome.worktree, 'feature-b.txt'), 'utf8')).toBe('b\n');
    expect(origin.tip(FEATURE)).toBe(targetTip); // nothing pushed yet

    const fenced: string[] = [];
    const fence = async () => {
      fenced.push('fence');
    };
    expect(await repo.pushMerge({ commit: outcome.commit, target: FEATURE, expectedTip: targetTip ?? '', fence })).toBe(outcome.commit);
    expect(fenced).toEqual(['fence']);
    expect(origin.tip(FEATURE)).toBe(outcome.commit);
    // A push whose reply was lost is redone: the commit is already there, so it succeeds again.
    expect(await repo.pushMerge({ commit: outcome.commit, target: FEATURE, expectedTip: targetTip ?? '', fence })).toBe(outcome.commit);
    await repo.discardMerge('merge-b');
    expect(existsSync(outcome.worktree)).toBe(false);

    // Redelivered review, from this replica and from another one: recorded, not merged again.
    expect(await repo.merge({ source, target: FEATURE, message: 'Merge bead b', key: 'merge-b' })).toEqual({
      kind: 'already-merged',
      commit: outcome.commit,
      sourceTip,
    });
    expect(await open().merge({ source, target: FEATURE, message: 'Merge bead b', key: 'merge-b' })).toEqual({
      kind: 'already-merged',
      commit: outcome.commit,
      sourceTip,
    });
    expect(mergeCount(FEATURE)).toBe(mergesBefore + 1);
    // Found again after the target moved on: the merge that brought it, not the tip.
    origin.commit(FEATURE, { 'later.txt': 'later\n' });
    expect(await repo.broughtIn(FEATURE, sourceTip)).toEqual({ merge: outcome.commit, changed: true });
    expect(await repo.contains(FEATURE, sourceTip)).toBe(true);
    expect(await repo.contains('main', sourceTip)).toBe(false);
  });

  it('reports a conflict with the files named and leaves no merge state behind', async () => {
    const repo = open();
    await repo.ensureFeatureBranch(FEATURE);
    const ours = bead('cccc0001');
    const theirs = bead('cccc0002');
    origin.commit(ours, { 'shared.txt': 'one\nOURS\nthree\n' }, { from: FEATURE });
    origin.commit(theirs, { 'shared.txt': 'one\nTHEIRS\nthree\n', 'clean.txt': 'fine\n' }, { from: FEATURE });
    const first = await repo.merge({ source: ours, target: FEATURE, message: 'Merge ours', key: 'merge-c1' });
    if (first.kind !== 'merged') throw new Error(`expected a merge, got ${first.kind}`);
    await repo.pushMerge({ commit: first.commit, target: FEATURE, expectedTip: first.targetTip, fence: noFence });
    await repo.discardMerge('merge-c1');

    const outcome = await repo.merge({ source: theirs, target: FEATURE, message: 'Merge theirs', key: 'merge-c2' });
    expect(outcome).toEqual({ kind: 'conflict', files: ['shared.txt'] });
    const scratch = join(first.worktree, '..', 'merge-c2');
    expect(existsSync(scratch)).toBe(false);
    expect(origin.tip(FEATURE)).toBe(first.commit);
    const clone = join(first.worktree, '..', '..', 'clone');
    expect(origin.git(['worktree', 'list', '--porcelain'], clone)).not.toContain('merge-c');
    expect(existsSync(join(clone, 'worktrees', 'merge-c2'))).toBe(false);
  });

  it('detects a source that brings no change, directly or because the target already has it', async () => {
    const repo = open();
    await repo.ensureFeatureBranch(FEATURE);
    const noop = bead('dddd0001');
    origin.commit(noop, { 'tmp.txt': 'added\n' }, { from: FEATURE });
    origin.git(['rm', '--quiet', 'tmp.txt']);
    origin.git(['commit', '--quiet', '-m', 'and removed again']);
    origin.git(['push', '--quiet', 'origin', `HEAD:refs/heads/${noop}`]);
    const noopTarget = origin.tip(FEATURE);
    expect(await repo.merge({ source: noop, target: FEATURE, message: 'noop', key: 'merge-d1' })).toEqual({ kind: 'empty', targetTip: noopTarget });

    // The same change reached the target by a cherry-pick: merging it would land nothing.
    const picked = bead('dddd0002');
    const pickedTip = origin.commit(picked, { 'picked.txt': 'p\n' }, { from: FEATURE });
    origin.commit(FEATURE, { 'unrelated.txt': 'u\n' });
    origin.git(['cherry-pick', pickedTip]);
    origin.git(['push', '--quiet', 'origin', `HEAD:refs/heads/${FEATURE}`]);
    const before = origin.tip(FEATURE);
    expect(await repo.merge({ source: picked, target: FEATURE, message: 'picked', key: 'merge-d2' })).toEqual({ kind: 'empty', targetTip: before });
    expect(origin.tip(FEATURE)).toBe(before);
  });

  it('tells delivered work from a branch that never left the target\'s own history', async () => {
    const repo = open();
    const target = 'convoy/brought/22223333/head';
    await repo.ensureFeatureBranch(target);
    const start = origin.tip(target) ?? '';
    // A bead that committed nothing: its branch is the target's own history.
    const idle = bead('abab0001');
    origin.git(['push', '--quiet', 'origin', `${start}:refs/heads/${idle}`]);
    const idleMerge = await repo.merge({ source: idle, target, message: 'idle', key: 'merge-idle' });
    expect(idleMerge).toEqual({ kind: 'already-merged', commit: start, sourceTip: start });
    expect(await repo.broughtIn(target, start)).toBeNull();
    // Fast-forwarded by hand: on the first-parent line, so no merge brought it.
    const forwarded = origin.commit(target, { 'by-hand.txt': 'h\n' });
    expect(await repo.broughtIn(target, forwarded)).toBeNull();
    // Not in the target at all.
    const elsewhere = origin.commit(bead('abab0002'), { 'elsewhere.txt': 'e\n' }, { from: target });
    expect(await repo.broughtIn(target, elsewhere)).toBeNull();
    // Merged, but the merge changed nothing (the same change was already there by a cherry-pick).
    origin.commit(target, { 'unrelated.txt': 'u\n' });
    origin.git(['cherry-pick', elsewhere]);
    origin.git(['-c', 'user.name=x', '-c', 'user.email=x@x', 'merge', '--quiet', '--no-ff', '-m', 'no-op merge', elsewhere]);
    origin.git(['push', '--quiet', 'origin', `HEAD:refs/heads/${target}`]);
    expect(await repo.broughtIn(target, elsewhere)).toEqual({ merge: origin.tip(target), changed: false });
  });

  it('refuses a merge push when the target moved since the merge, and leaves origin as the other writer left it', async () => {
    const repo = open();
    await repo.ensureFeatureBranch(FEATURE);
    const source = bead('eeee0001');
    origin.commit(source, { 'feature-e.txt': 'e\n' }, { from: FEATURE });
    const outcome = await repo.merge({ source, target: FEATURE, message: 'Merge e', key: 'merge-e' });
    if (outcome.kind !== 'merged') throw new Error(`expected a merge, got ${outcome.kind}`);

    const theirs = origin.commit(FEATURE, { 'someone-else.txt': 'x\n' });
    await expect(
      repo.pushMerge({ commit: outcome.commit, target: FEATURE, expectedTip: outcome.targetTip, fence: noFence }),
    ).rejects.toBeInstanceOf(TargetMovedError);
    expect(origin.tip(FEATURE)).toBe(theirs);
    await repo.discardMerge('merge-e');

    // Redone on the new tip, it lands.
    const redone = await repo.merge({ source, target: FEATURE, message: 'Merge e', key: 'merge-e' });
    if (redone.kind !== 'merged') throw new Error(`expected a merge, got ${redone.kind}`);
    expect(redone.targetTip).toBe(theirs);
    await repo.pushMerge({ commit: redone.commit, target: FEATURE, expectedTip: redone.targetTip, fence: noFence });
    expect(origin.tip(FEATURE)).toBe(redone.commit);
  });

  it('never pushes when the fence throws', async () => {
    const repo = open();
    await repo.ensureFeatureBranch(FEATURE);
    const source = bead('ffff0001');
    origin.commit(source, { 'feature-f.txt': 'f\n' }, { from: FEATURE });
    const outcome = await repo.merge({ source, target: FEATURE, message: 'Merge f', key: 'merge-f' });
    if (outcome.kind !== 'merged') throw new Error(`expected a merge, got ${outcome.kind}`);
    const fence = async () => {
      throw new Error('lease lost');
    };
    await expect(repo.pushMerge({ commit: outcome.commit, target: FEATURE, expectedTip: outcome.targetTip, fence })).rejects.toThrow(
      'lease lost',
    );
    expect(origin.tip(FEATURE)).toBe(outcome.targetTip);
  });

  it('recovers after a crash mid-merge and mid-commit, then redoes the same merge', async () => {
    const dir = join(origin.root, 'crashed-runner');
    const crashed = open(dir);
    await crashed.ensureFeatureBranch(FEATURE);
    const source = bead('aaaa9001');
    const sourceTip = origin.commit(source, { 'feature-g.txt': 'g\n' }, { from: FEATURE });
    const conflicting = origin.commit(bead('aaaa9003'), { 'shared.txt': 'one\nOTHER\nthree\n' }, { from: FEATURE });
    await crashed.ensureClone();
    const clone = join(dir, 'clone');
    const targetTip = origin.tip(FEATURE) ?? '';

    // The refinery died inside `git merge`: a scratch worktree with MERGE_HEAD.
    const scratch = join(dir, 'scratch', 'merge-g');
    origin.git(['worktree', 'add', '--quiet', '--detach', scratch, targetTip], clone);
    origin.git(['-c', 'user.name=x', '-c', 'user.email=x@x', 'merge', '--no-commit', '--no-ff', sourceTip], scratch);
    expect(existsSync(join(clone, 'worktrees', 'merge-g', 'MERGE_HEAD'))).toBe(true);
    // An agent worktree died inside a conflicted merge, and inside a commit (its index lock left behind).
    const agent = await crashed.createWorktree({ key: 'agent-g', branch: bead('aaaa9002'), base: FEATURE });
    writeFileSync(join(agent.path, 'shared.txt'), 'one\nAGENT\nthree\n');
    origin.git(['-c', 'user.name=x', '-c', 'user.email=x@x', 'commit', '--quiet', '-am', 'agent edit'], agent.path);
    expect(() => origin.git(['-c', 'user.name=x', '-c', 'user.email=x@x', 'merge', conflicting], agent.path)).toThrow();
    writeFileSync(join(clone, 'worktrees', 'agent-g', 'index.lock'), '');
    // And `git worktree add` was killed before its checkout: registered, locked, no directory.
    const half = join(dir, 'worktrees', 'agent-half');
    origin.git(['worktree', 'add', '--detach', '--lock', '--reason', 'initializing', half, targetTip], clone);
    rmSync(half, { recursive: true, force: true });
    // And a removed worktree was moved aside, its deletion not yet done.
    const trashed = join(dir, 'trash', 'agent-old-1f2e');
    mkdirSync(trashed, { recursive: true });
    writeFileSync(join(trashed, 'big.bin'), 'left behind\n');

    const restarted = open(dir);
    const report = await restarted.recover();
    expect(report.removedLocks).toEqual([join('worktrees', 'agent-g', 'index.lock')]);
    expect(report.abortedMerges.sort()).toEqual([agent.path, scratch].sort());
    expect(report.abortedRebases).toEqual([]);
    expect(report.removedWorktrees.sort()).toEqual([half, scratch].sort());
    expect(existsSync(scratch)).toBe(false);
    expect(existsSync(trashed)).toBe(false);
    expect(existsSync(join(clone, 'worktrees', 'agent-g', 'MERGE_HEAD'))).toBe(false);
    expect(origin.git(['status', '--porcelain'], agent.path)).toBe('');
    expect(origin.git(['worktree', 'list', '--porcelain'], clone)).not.toMatch(/merge-g|agent-half/);
    // A second recovery finds nothing to do.
    expect(await restarted.recover()).toEqual({ removedLocks: [], abortedMerges: [], abortedRebases: [], removedWorktrees: [] });

    const redone = await restarted.merge({ source, target: FEATURE, message: 'Merge g', key: 'merge-g' });
    if (redone.kind !== 'merged') throw new Error(`expected a merge, got ${redone.kind}`);
    await restarted.pushMerge({ commit: redone.commit, target: FEATURE, expectedTip: redone.targetTip, fence: noFence });
    expect(parents(redone.commit)).toEqual([targetTip, sourceTip]);
    expect(await restarted.contains(FEATURE, sourceTip)).toBe(true);
  });

  it("runs attempts' commits and pushes beside the clone's fetches and worktree work, and every one lands", async () => {
    const repo = open();
    await repo.ensureFeatureBranch(FEATURE);
    const ids = Array.from({ length: 8 }, (_, i) => `f00d000${i}`);
    const attempt = async (id: string) => {
      const worktree = await repo.createWorktree({ key: `bead-${id}`, branch: bead(id), base: FEATURE });
      writeFileSync(join(worktree.path, `${id}.txt`), `${id}\n`);
      const { head } = await repo.commitAll(worktree.path, { message: id, author });
      await repo.pushBranch(worktree.path, bead(id), head);
      await repo.removeWorktree(`bead-${id}`);
      return head;
    };
    // Meanwhile a refinery keeps the clone-wide queue and the worktree registry busy: fetches,
    // reads of origin, scratch worktrees made, merged into and removed.
    let busy = true;
    const refinery = (async () => {
      let batches = 0;
      while (busy || batches === 0) {
        await repo.contains(FEATURE, origin.tip(FEATURE) as string);
        const built = await repo.buildBatch({ target: FEATURE, entries: ids.map((id) => ({ source: bead(id), message: `Merge ${id}` })), key: 'batch-busy' });
        if (built.worktree) await repo.discardMerge('batch-busy');
        batches++;
      }
      return batches;
    })();
    const heads = await Promise.all(ids.map(attempt));
    busy = false;

    expect(await refinery).toBeGreaterThan(0);
    expect(ids.map((id) => origin.tip(bead(id)))).toEqual(heads);
    expect(ids.map((id, i) => origin.git(['show', `${heads[i]}:${id}.txt`], origin.url))).toEqual(ids);
    expect(await repo.worktreeKeys()).toEqual([]);
  });

  it("pushes a work branch without moving the clone's origin/<branch>, which only a fetch updates", async () => {
    const repo = open();
    const clone = join(origin.root, `runner-${replicas}`, 'clone');
    await repo.ensureFeatureBranch(FEATURE);
    const worktree = await repo.createWorktree({ key: 'bead-tracking', branch: bead('abcd0001'), base: FEATURE });
    writeFileSync(join(worktree.path, 'tracked.txt'), 'pushed\n');
    const { head } = await repo.commitAll(worktree.path, { message: 'tracked', author });
    await repo.pushBranch(worktree.path, bead('abcd0001'), head);

    expect(origin.tip(bead('abcd0001'))).toBe(head);
    const tracking = () => origin.git(['for-each-ref', '--format=%(objectname)', `refs/remotes/origin/${bead('abcd0001')}`], clone);
    expect(tracking()).toBe('');
    await repo.ensureClone();
    expect(tracking()).toBe(head);
  });

  it('refuses names that git would read as options or revision syntax, and never force-pushes the default branch', async () => {
    const repo = open();
    const worktreeBase = origin.tip(FEATURE) as string;
    await expect(repo.createWorktree({ key: 'x', branch: '--upload-pack=touch', base: FEATURE })).rejects.toThrow('not a usable branch name');
    await expect(repo.ensureFeatureBranch('a:refs/heads/main')).rejects.toThrow('not a usable branch name');
    await expect(repo.createWorktree({ key: '../escape', branch: bead('0000'), base: FEATURE })).rejects.toThrow('not a usable worktree key');
    await expect(repo.pushBranch(join(origin.root, 'elsewhere'), bead('0000'), worktreeBase)).rejects.toThrow('is not a worktree of rig');
    const worktree = await repo.createWorktree({ key: 'guard', branch: bead('99990000'), base: FEATURE });
    await expect(repo.pushBranch(worktree.path, 'main', worktree.baseCommit)).rejects.toThrow('refusing to use the default branch');
    await expect(repo.pushBranch(worktree.path, bead('99990000'), 'HEAD')).rejects.toThrow('not a full commit id');
  });
});

describe('RigRepository credentials', () => {
  let origin: OriginFixture;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    origin = createOrigin();
    // An HTTP remote that refuses every credential: git would ask a terminal for another one.
    server = createServer((_request, response) => {
      response.writeHead(401, { 'www-authenticate': 'Basic realm="rig"' }).end();
    });
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((closed) => server.close(closed));
    origin.remove();
  });

  it('never prompts and never puts the URL credentials in an error', async () => {
    const gitUrl = `http://gastown:s3cr3t-t0ken@127.0.0.1:${port}/rig.git`;
    const repo = new RigRepository({
      rigId: 'rig-secret',
      gitUrl,
      defaultBranch: 'main',
      dir: join(origin.root, 'secret'),
      env: { HOME: origin.home },
    });
    expect(repo.displayUrl).toBe(`http://***@127.0.0.1:${port}/rig.git`);

    const error = await repo.ensureClone().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(GitCommandError);
    expect(String((error as Error).message)).toMatch(/Authentication failed/);
    expect(JSON.stringify(error)).not.toContain('s3cr3t-t0ken');
    expect(String((error as Error).message)).not.toContain('s3cr3t-t0ken');

    const anonymous = new RigRepository({
      rigId: 'rig-anon',
      gitUrl: `http://127.0.0.1:${port}/rig.git`,
      defaultBranch: 'main',
      dir: join(origin.root, 'anon'),
      env: { HOME: origin.home },
    });
    await expect(anonymous.ensureClone()).rejects.toThrow(/terminal prompts disabled/);
  });
});
