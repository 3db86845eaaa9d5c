import { eventually } from '@gastown/testing';
import { SystemHarness, type ConvoyRead } from '@gastown/system-testing';

/** A layered plan: `width` independent beads, then `width` more each depending on one of the first. */
function layered(width: number, body = '') {
  return [
    ...Array.from({ length: width }, (_, i) => ({ title: `root ${i}`, body })),
    ...Array.from({ length: width }, (_, i) => ({ title: `leaf ${i}`, body, dependsOn: [i] })),
  ];
}

function expectEachBeadMergedOnce(events: { type: string; data: unknown }[], convoy: ConvoyRead): void {
  const merged = events.filter((e) => e.type === 'BeadMerged').map((e) => (e.data as { beadId: string }).beadId);
  expect(merged.sort()).toEqual(convoy.beads.map((b) => b.id).sort());
  const dispatches = events
    .filter((e) => e.type === 'BeadDispatched')
    .map((e) => `${(e.data as { beadId: string }).beadId}:${(e.data as { attempt: number }).attempt}`);
  expect(new Set(dispatches).size).toBe(dispatches.length);
}

describe('a convoy survives its workers', () => {

  it('given a git-runner and the dispatcher SIGKILLed mid-convoy, when they come back, then the convoy lands with one merge per bead', async () => {
    const system = await SystemHarness.start();
    try {
      const repo = system.origin();
      const rigId = await system.registerRig('survivor', repo.bare, { maxPolecats: 2 });
      const created = await system.slingBatch({ title: 'Survives crashes', defaultRigId: rigId, tasks: layered(3) });

      await eventually('a first merge', async () => (await system.events(created.id)).some((e) => e.type === 'BeadMerged'));
      await system.kill('git-runner-1');
      await system.kill('dispatcher-1');
      await system.startProcess('dispatcher', 1);
      await system.startProcess('git-runner', 1);

      const landed = await system.until(created.id, ['LANDED', 'FAILED', 'CANCELLED']);
      expect(landed.status).toBe('LANDED');
      expectEachBeadMergedOnce(await system.events(created.id), landed);
      for (const bead of landed.beads) expect(repo.commitsAdding('main', `beads/${bead.id.slice(0, 8)}.md`)).toHaveLength(1);
    } finally {
      await system.close();
    }
  });

  it('given two dispatchers and two git-runners on one busy rig, when a convoy runs, then no bead is dispatched twice and merges stay in one line', async () => {
    const system = await SystemHarness.start({ dispatchers: 2, runners: 2 });
    try {
      const repo = system.origin();
      const rigId = await system.registerRig('busy', repo.bare, { maxPolecats: 4 });
      const created = await system.slingBatch({ title: 'Busy rig', defaultRigId: rigId, tasks: layered(4) });
      const landed = await system.until(created.id, ['LANDED', 'FAILED', 'CANCELLED']);
      expect(landed.status).toBe('LANDED');
      expectEachBeadMergedOnce(await system.events(created.id), landed);
      // Merges never overlapped: each bead's merge commit has the previous tip of the feature branch as first parent.
      const firstParents = repo
        .read('rev-list', '--first-parent', `origin/${landed.featureBranch}`, `^${landed.landedCommit}^1`)
        .split('\n')
        .filter(Boolean);
      const mergeCommits = landed.beads.map((b) => b.mergeCommit);
      expect(firstParents.sort()).toEqual([...mergeCommits].sort());
    } finally {
      await system.close();
    }
  });
});
