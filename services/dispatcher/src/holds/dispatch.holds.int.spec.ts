import { randomUUID } from 'node:crypto';
import { Objm } from '@nats-io/obj';
import { HoldsRegistry, type HoldRecord } from '@gastown/bus';
import { convoyIdFor } from '@gastown/contracts';
import { eventually } from '@gastown/testing';
import { Harness } from '../dispatch/dispatch.harness';

/** Over 1 MB of plan: the convoy service keeps its first commit in the object store. */
function largePlan(rigId: string) {
  return {
    title: 'Large plan',
    defaultRigId: rigId,
    mergeMode: 'REVIEW_AND_MERGE',
    parallel: true,
    tasks: Array.from({ length: 200 }, (_, i) => ({ title: `task ${i}`, body: `${i} ${'x'.repeat(6_000)}` })),
  };
}

describe('dispatcher holds, in the shared registry', () => {
  let world: Harness;
  let registry: HoldsRegistry;

  beforeAll(async () => {
    world = await Harness.start();
    registry = new HoldsRegistry(world.bus);
  });
  afterAll(async () => {
    await world?.stop();
  });

  /** A convoy whose stored plan is gone (as after a lost object-store file), and a way to put it back. */
  async function convoyWithLostPlan(): Promise<{ convoyId: string; beadIds: string[]; subject: string; restore: () => Promise<void> }> {
    const rigId = await world.rig(1);
    const commandId = randomUUID();
    const convoyId = convoyIdFor(world.townId, commandId);
    const reply = await world.command(convoyId, 'SlingBatch', largePlan(rigId), commandId);
    const subject = world.bus.names.convoyEvents(world.townId, convoyId);
    const stored = await world.bus.jsm.streams.getMessage(world.bus.names.eventStream, { last_by_subj: subject });
    const { payload } = stored?.json<{ payload: { bucket: string; name: string } }>() ?? { payload: { bucket: '', name: '' } };
    const bucket = await new Objm(world.bus.js).open(payload.bucket);
    const bytes = await bucket.getBlob(payload.name);
    if (!bytes) throw new Error('the plan was not kept in the object store');
    await bucket.delete(payload.name);
    return { convoyId, beadIds: reply.result['beadIds'] as string[], subject, restore: async () => void (await bucket.putBlob({ name: payload.name }, bytes)) };
  }

  const heldBy = (subject: string) => registry.heldBy('dispatcher', subject);
  const holdOf = async (subject: string): Promise<HoldRecord> => {
    let hold: HoldRecord | null = null;
    await eventually('the hold in the registry', async () => (hold = await heldBy(subject)) !== null);
    if (!hold) throw new Error(`${subject} is not held`);
    return hold;
  };

  it('given a convoy whose plan cannot be read, when the dispatcher holds it, restarts, and the operator retries after the fix, then the hold is kept with its start, the bead is dispatched and the hold is gone', async () => {
    const lost = await convoyWithLostPlan();
    const first = await world.dispatcher('holds-first', { retryBaseMs: 50, retryMaxMs: 200 });
    const hold = await holdOf(lost.subject);
    expect(hold).toEqual(
      expect.objectContaining({ service: 'dispatcher', subject: lost.subject, townId: world.townId, convoyId: lost.convoyId, reason: expect.stringMatching(/missing/) }),
    );

    await first.stop();
    const second = await world.dispatcher('holds-second', { retryBaseMs: 50, retryMaxMs: 200 });
    // Caught up: the restart read the stream, held the convoy again and kept when the hold began.
    expect(await heldBy(lost.subject)).toEqual(hold);
    expect(second.lines.some((l) => l.includes(`convoy ${lost.convoyId} is held`))).toBe(true);

    // Retried before the fix: it holds again, and says so.
    const early = await registry.release('dispatcher', lost.subject, { action: 'retry', seq: hold.seq, requestedAt: new Date().toISOString() }, 30_000);
    expect(early).toEqual({ answered: true, hold: expect.objectContaining({ seq: hold.seq, since: hold.since }) });

    await lost.restore();
    const started = Date.now();
    const retried = await registry.release('dispatcher', lost.subject, { action: 'retry', seq: hold.seq, requestedAt: new Date().toISOString() }, 30_000);
    expect(retried).toEqual({ answered: true, hold: null });
    await eventually('the first bead dispatched', async () => (await world.view(lost.convoyId)).beads.get(lost.beadIds[0])?.status === 'IN_PROGRESS', {
      timeoutMs: 30_000,
    });
    console.info(`dispatcher hold retried → first bead dispatched in ${Date.now() - started} ms`);
    expect((await world.jobs()).some((j) => j.kind === 'agent' && j.convoyId === lost.convoyId)).toBe(true);
    await second.stop();
  }, 120_000);

  it('given a held convoy, when the operator skips the held message with a reason, then the skip is recorded, the convoy’s later commits apply, and a restart honours the skip', async () => {
    const lost = await convoyWithLostPlan();
    const first = await world.dispatcher('skip-first', { retryBaseMs: 50, retryMaxMs: 200 });
    const hold = await holdOf(lost.subject);

    const skipped = await registry.release('dispatcher', lost.subject, { action: 'skip', seq: hold.seq, reason: 'plan lost for good', requestedAt: new Date().toISOString() }, 30_000);
    expect(skipped).toEqual({ answered: true, hold: null });
    expect(await registry.skips('dispatcher', lost.subject)).toEqual([
      expect.objectContaining({ seq: hold.seq, convoyId: lost.convoyId, reason: 'plan lost for good', heldReason: hold.reason }),
    ]);

    // The convoy's next commit is folded: its close is broadcast to the runners.
    await world.command(lost.convoyId, 'CloseConvoy', { reason: 'replanned' });
    await eventually('the cancel broadcast', async () => first.lines.some((l) => l.includes(`cancel broadcast for convoy ${lost.convoyId}`)));

    await first.stop();
    const second = await world.dispatcher('skip-second', { retryBaseMs: 50, retryMaxMs: 200 });
    expect(second.lines.some((l) => l.includes(`convoy ${lost.convoyId} is held`))).toBe(false);
    expect(await heldBy(lost.subject)).toBeNull();
    await second.stop();
  }, 120_000);

  // Last: the town's subject keeps the unreadable commit, which the convoy service would then read too.
  it("given a town commit the dispatcher cannot read, when it passes over it, then the town's convoys go on, the town reads held, and a skip releases it for good", async () => {
    const rigId = await world.rig(1);
    const convoy = await world.sling([rigId]);
    const townSubject = world.bus.names.townEvents(world.townId);
    const bad = await world.bus.js.publish(townSubject, 'not a commit');
    const first = await world.dispatcher('town-first', { retryBaseMs: 50, retryMaxMs: 200 });

    const hold = await holdOf(townSubject);
    expect(hold).toEqual(expect.objectContaining({ service: 'dispatcher', seq: bad.seq, townId: world.townId, convoyId: null, reason: expect.any(String) }));
    await eventually("the town's convoy dispatched", async () => (await world.view(convoy.convoyId)).beads.get(convoy.beadIds[0])?.status === 'IN_PROGRESS', {
      timeoutMs: 30_000,
    });

    // Retried as it is: read again, held again at the same message, since the same moment.
    const retried = await registry.release('dispatcher', townSubject, { action: 'retry', seq: hold.seq, requestedAt: new Date().toISOString() }, 30_000);
    expect(retried).toEqual({ answered: true, hold: expect.objectContaining({ seq: hold.seq, since: hold.since }) });
    expect(first.lines.some((l) => l.includes(`${townSubject} is still held at #${hold.seq}`))).toBe(true);

    const skipped = await registry.release('dispatcher', townSubject, { action: 'skip', seq: hold.seq, reason: 'garbage from a test', requestedAt: new Date().toISOString() }, 30_000);
    expect(skipped).toEqual({ answered: true, hold: null });
    expect(await registry.skips('dispatcher', townSubject)).toEqual([expect.objectContaining({ seq: hold.seq, convoyId: null, reason: 'garbage from a test' })]);

    await first.stop();
    await world.dispatcher('town-second', { retryBaseMs: 50, retryMaxMs: 200 });
    expect(await heldBy(townSubject)).toBeNull();
  }, 120_000);
});
