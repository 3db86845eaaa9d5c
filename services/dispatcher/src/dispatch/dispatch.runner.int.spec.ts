import { eventually } from '@gastown/testing';
import { dispatchKeys, Harness, mostAtWork, type TestDispatcher } from './dispatch.harness';

describe('dispatcher on real JetStream with the real convoy service', () => {
  let world: Harness;

  beforeAll(async () => {
    world = await Harness.start();
  });
  afterAll(async () => {
    await world?.stop();
  });

  const agentJobsOf = async (beadIds: string[]) =>
    (await world.jobs()).filter((j) => j.kind === 'agent' && beadIds.includes(j.beadId)).map((j) => (j.kind === 'agent' ? `${j.beadId}:${j.attempt}` : ''));

  it('given a rig of 2 polecats and 5 parallel beads, when the dispatcher runs, restarts, and work is merged, then at most 2 work at once and no attempt is dispatched twice', async () => {
    const rigId = await world.rig(2);
    const convoy = await world.sling([rigId, rigId, rigId, rigId, rigId]);
    let dispatcher: TestDispatcher = await world.dispatcher('dispatcher-a', { retryBaseMs: 200 });

    // The agent jobs are published in the pass after the dispatches are folded: by then a third
    // dispatch would have been sent too.
    const firstTwo = await eventually('two agent jobs', async () => {
      const jobs = await agentJobsOf(convoy.beadIds);
      return jobs.length === 2 && jobs;
    });
    expect(dispatchKeys(await world.events(convoy.convoyId))).toEqual(firstTwo);
    expect(firstTwo).toEqual([`${convoy.beadIds[0]}:1`, `${convoy.beadIds[1]}:1`]);
    expect((await world.view(convoy.convoyId)).beads.get(convoy.beadIds[0])?.agent?.name).toBe('Nux');
    expect((await world.jobs()).filter((j) => j.kind === 'branch' && j.convoyId === convoy.convoyId)).toEqual([
      { kind: 'branch', townId: world.townId, convoyId: convoy.convoyId, rigId, branch: expect.any(String) },
    ]);

    // A restarted dispatcher rebuilds its state from the stream and finds both slots taken.
    await dispatcher.stop();
    dispatcher = await world.dispatcher('dispatcher-a2', { retryBaseMs: 200 });
    await eventually('the restarted dispatcher to publish its jobs again', async () => dispatcher.lines.some((l) => l.includes('job published: agent:')));
    expect(dispatcher.lines.filter((l) => l.includes('dispatch bead'))).toEqual([]);
    expect(await agentJobsOf(convoy.beadIds)).toEqual(firstTwo);

    // Merging frees a slot; the restarted dispatcher fills it with the next bead, reusing Nux.
    await world.finish(convoy.convoyId, convoy.beadIds[0]);
    await eventually('the third bead dispatched', async () => (await world.view(convoy.convoyId)).beads.get(convoy.beadIds[2])?.status === 'IN_PROGRESS');
    expect((await world.view(convoy.convoyId)).beads.get(convoy.beadIds[2])?.agent?.name).toBe('Nux');

    await eventually('every bead merged', async () => {
      const view = await world.view(convoy.convoyId);
      for (const bead of view.beads.values()) if (bead.status === 'IN_PROGRESS') await world.finish(convoy.convoyId, bead.beadId);
      return [...view.beads.values()].every((b) => b.status === 'CLOSED');
    });

    const keys = dispatchKeys(await world.events(convoy.convoyId));
    expect(keys).toHaveLength(5);
    expect(new Set(keys).size).toBe(5);
    expect(mostAtWork(await world.commits(convoy.convoyId))).toBe(2);
    await dispatcher.stop();
  });

  it('given two dispatchers on one busy convoy, when every bead is worked through, then no bead attempt is dispatched twice and the rig is never over capacity', async () => {
    const rigId = await world.rig(3);
    const convoy = await world.sling(Array.from({ length: 12 }, () => rigId));
    const [a, b] = await Promise.all([world.dispatcher('dispatcher-b1'), world.dispatcher('dispatcher-b2')]);

    await eventually(
      'every bead merged',
      async () => {
        const view = await world.view(convoy.convoyId);
        await Promise.all([...view.beads.values()].filter((x) => x.status === 'IN_PROGRESS').map((x) => world.finish(convoy.convoyId, x.beadId)));
        return [...view.beads.values()].every((x) => x.status === 'CLOSED');
      },
      { timeoutMs: 20_000 },
    );

    const keys = dispatchKeys(await world.events(convoy.convoyId));
    expect(keys).toHaveLength(12);
    expect(new Set(keys).size).toBe(12);
    expect(mostAtWork(await world.commits(convoy.convoyId))).toBeLessThanOrEqual(3);
    // Both really took part: each sent dispatch commands, and the service kept one per attempt.
    for (const d of [a, b]) expect(d.lines.some((l) => l.includes('dispatch bead'))).toBe(true);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('given the convoy service is down, when the dispatcher dispatches, then it retries after a back-off until the service answers, and the bead is assigned once', async () => {
    const rigId = await world.rig(1);
    // No dispatcher runs yet: the bead is still waiting when the service goes down.
    const convoy = await world.sling([rigId]);
    await world.stopConvoyService();
    const dispatcher = await world.dispatcher('dispatcher-c', { retryBaseMs: 100, retryMaxMs: 400 });
    await eventually('two unanswered dispatches', async () => dispatcher.lines.filter((l) => l.includes('did not go through')).length >= 2);

    await world.startConvoyService();
    await eventually('the bead dispatched', async () => (await world.view(convoy.convoyId)).beads.get(convoy.beadIds[0])?.status === 'IN_PROGRESS');
    expect(dispatchKeys(await world.events(convoy.convoyId))).toEqual([`${convoy.beadIds[0]}:1`]);
    await dispatcher.stop();
  });
});
