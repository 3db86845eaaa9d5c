import { eventually } from '@gastown/testing';
import { SystemHarness, type BeadRead } from '@gastown/system-testing';

const beadFile = (bead: BeadRead) => `beads/${bead.id.slice(0, 8)}.md`;

describe('a convoy runs and lands on a real repository', () => {
  let system: SystemHarness;

  beforeAll(async () => {
    system = await SystemHarness.start();
  });
  afterAll(async () => {
    await system?.close();
  });

  it('given a diamond in review-then-land, when it runs, then main holds every bead once and each bead started from its merged blockers', async () => {
    const repo = system.origin();
    const rigId = await system.registerRig('diamond', repo.bare);
    const created = await system.slingBatch({
      title: 'Diamond',
      defaultRigId: rigId,
      tasks: [{ title: 'A' }, { title: 'B', dependsOn: [0] }, { title: 'C', dependsOn: [0] }, { title: 'D', dependsOn: [1, 2] }],
    });
    // The feature branch is created on origin as soon as the convoy is active.
    await eventually('the feature branch on origin', async () => repo.branches().includes(created.featureBranch as string));

    const landed = await system.until(created.id, ['LANDED', 'FAILED', 'CANCELLED']);
    expect(landed.status).toBe('LANDED');
    expect(landed.progress).toMatchObject({ total: 4, closed: 4 });
    const [a, b, c, d] = [...landed.beads].sort((x, y) => x.index - y.index);

    // The landing commit is on main and brings every bead's change exactly once.
    expect(repo.isAncestor(landed.landedCommit as string, 'origin/main')).toBe(true);
    for (const bead of [a, b, c, d]) expect(repo.commitsAdding('main', beadFile(bead))).toHaveLength(1);
    expect(repo.read('rev-list', '--parents', '-n', '1', landed.landedCommit as string).split(' ')).toHaveLength(3);

    // Each bead's work started from its target after its blockers were merged into it.
    for (const dependent of [b, c]) expect(repo.isAncestor(a.mergeCommit as string, dependent.headCommit as string)).toBe(true);
    for (const blocker of [b, c]) expect(repo.isAncestor(blocker.mergeCommit as string, d.headCommit as string)).toBe(true);

    // Dependents were dispatched only after their blockers were merged, never on a mere submission.
    const events = await system.events(created.id);
    const at = (type: string, beadId: string) => events.findIndex((e) => e.type === type && (e.data as { beadId?: string }).beadId === beadId);
    expect(at('BeadDispatched', d.id)).toBeGreaterThan(Math.max(at('BeadMerged', b.id), at('BeadMerged', c.id)));
    const merges = events.filter((e) => e.type === 'BeadMerged');
    expect(merges).toHaveLength(4);
  });

  it('given review-and-merge, when it runs, then each bead lands on main on its own and the convoy is LANDED at the last merge', async () => {
    const repo = system.origin();
    const rigId = await system.registerRig('ram', repo.bare);
    const created = await system.slingBatch({
      title: 'Straight to main',
      defaultRigId: rigId,
      mergeMode: 'REVIEW_AND_MERGE',
      tasks: [{ title: 'first' }, { title: 'second', dependsOn: [0] }],
    });
    const landed = await system.until(created.id, ['LANDED', 'FAILED', 'CANCELLED']);
    expect(landed.status).toBe('LANDED');
    expect(landed.featureBranch).toBeNull();
    const [first, second] = [...landed.beads].sort((x, y) => x.index - y.index);
    for (const bead of [first, second]) {
      expect(repo.isAncestor(bead.mergeCommit as string, 'origin/main')).toBe(true);
      expect(repo.commitsAdding('main', beadFile(bead))).toHaveLength(1);
    }
    expect(landed.landedCommit).toBe(second.mergeCommit);
  });

  it('given two beads editing the same lines, when both run, then the second is reworked after the conflict and then lands', async () => {
    const repo = system.origin();
    const rigId = await system.registerRig('conflict', repo.bare);
    const created = await system.slingBatch({
      title: 'Conflicting edits',
      defaultRigId: rigId,
      parallel: true,
      tasks: [
        { title: 'left', body: 'demo:edit shared.txt left' },
        { title: 'right', body: 'demo:edit shared.txt right' },
      ],
    });
    const landed = await system.until(created.id, ['LANDED', 'FAILED', 'CANCELLED']);
    expect(landed.status).toBe('LANDED');
    const events = await system.events(created.id);
    const reworks = events.filter((e) => e.type === 'BeadReworkRequested');
    expect(reworks.length).toBeGreaterThanOrEqual(1);
    expect((reworks[0].data as { reason: string }).reason).toMatch(/conflict.*shared\.txt/s);
    const shared = repo.read('show', 'origin/main:shared.txt');
    expect(shared).toMatch(/left/);
    expect(shared).toMatch(/right/);
  });
});
