import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RigRepository } from './rig.repository';
import { createOrigin, type OriginFixture } from './testing/origin.fixture';

const TARGET = 'convoy/batch/0a1b2c3d/head';
const bead = (id: string) => `convoy/batch/0a1b2c3d/gt/polecat-1/${id}`;

describe('RigRepository: merge batches against a real origin', () => {
  let origin: OriginFixture;
  let replicas = 0;
  const open = () => new RigRepository({ rigId: 'rig-batch', gitUrl: origin.url, defaultBranch: 'main', dir: join(origin.root, `batch-runner-${++replicas}`), env: { HOME: origin.home } });
  const entry = (id: string) => ({ source: bead(id), message: `Merge bead ${id}` });

  beforeAll(async () => {
    origin = createOrigin();
    await open().ensureFeatureBranch(TARGET);
  });

  afterAll(() => origin.remove());

  it('given four branches, one conflicting with an earlier one and one already in, when batched, then the others are merged one by one, no-ff, in order, and nothing is pushed', async () => {
    const start = origin.tip(TARGET) as string;
    const a = origin.commit(bead('a'), { 'a.txt': 'a\n', 'shared.txt': 'one\nLEFT\nthree\n' }, { from: TARGET });
    origin.commit(bead('b'), { 'shared.txt': 'one\nRIGHT\nthree\n' }, { from: TARGET });
    const c = origin.commit(bead('c'), { 'c.txt': 'c\n' }, { from: TARGET });
    const repo = open();

    const built = await repo.buildBatch({ target: TARGET, entries: [entry('a'), entry('b'), entry('c'), entry('gone')], key: 'batch-1' });

    expect(built.base).toBe(start);
    expect(built.outcomes.map((outcome) => outcome.kind)).toEqual(['merged', 'conflict', 'merged', 'missing']);
    expect(built.outcomes[1]).toEqual({ kind: 'conflict', files: ['shared.txt'] });
    const [first, , third] = built.outcomes as { commit: string }[];
    expect(built.tip).toBe(third.commit);
    expect(origin.git(['rev-list', '--parents', '-n', '1', first.commit], built.worktree).split(' ').slice(1)).toEqual([start, a]);
    expect(origin.git(['rev-list', '--parents', '-n', '1', third.commit], built.worktree).split(' ').slice(1)).toEqual([first.commit, c]);
    expect(readFileSync(join(built.worktree as string, 'shared.txt'), 'utf8')).toBe('one\nLEFT\nthree\n');
    expect(origin.tip(TARGET)).toBe(start);

    // A prefix of the batch is a tree of its own: the first bead's merge, for a bisection run.
    const prefix = await repo.scratchAt('batch-1-p1', first.commit);
    expect(existsSync(join(prefix, 'a.txt'))).toBe(true);
    expect(existsSync(join(prefix, 'c.txt'))).toBe(false);
    await repo.discardMerge('batch-1-p1');
    await repo.discardMerge('batch-1');
    expect(existsSync(prefix)).toBe(false);
    expect(existsSync(built.worktree as string)).toBe(false);
  });

  it('given a batch built on the unpushed tip of the one ahead, when the first is pushed, then the second lands on top of it with a compare-and-set on that tip', async () => {
    const repo = open();
    origin.commit(bead('d'), { 'd.txt': 'd\n' }, { from: TARGET });
    origin.commit(bead('e'), { 'e.txt': 'e\n' }, { from: TARGET });
    const ahead = await repo.buildBatch({ target: TARGET, entries: [entry('d')], key: 'batch-2' });
    const behind = await repo.buildBatch({ target: TARGET, on: ahead.tip, entries: [entry('e'), entry('d')], key: 'batch-3' });

    expect(behind.base).toBe(ahead.tip);
    // d is already in what the second batch is built on.
    expect(behind.outcomes.map((outcome) => outcome.kind)).toEqual(['merged', 'already-merged']);
    await repo.pushMerge({ commit: ahead.tip, target: TARGET, expectedTip: ahead.base, fence: async () => undefined });
    await repo.pushMerge({ commit: behind.tip, target: TARGET, expectedTip: behind.base, fence: async () => undefined });
    expect(origin.tip(TARGET)).toBe(behind.tip);
    await repo.discardMerge('batch-2');
    await repo.discardMerge('batch-3');
  });

  it('given branches that change nothing, when batched, then no merge is made and no worktree is left', async () => {
    const repo = open();
    const tip = origin.tip(TARGET) as string;
    origin.git(['branch', '--force', bead('idle'), tip], origin.url);

    const built = await repo.buildBatch({ target: TARGET, entries: [entry('idle')], key: 'batch-4' });

    expect(built).toEqual({ base: tip, tip, worktree: undefined, outcomes: [{ kind: 'already-merged', sourceTip: tip }] });
  });
});
