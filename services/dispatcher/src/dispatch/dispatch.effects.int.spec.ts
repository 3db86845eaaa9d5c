import { randomUUID } from 'node:crypto';
import type { Subscription } from '@nats-io/transport-node';
import { readDeadLetters } from '@gastown/bus';
import { CancelConvoy, commandIds, type GastownEvent } from '@gastown/contracts';
import { eventually } from '@gastown/testing';
import { Harness, type TestDispatcher } from './dispatch.harness';

const BACKOFF_MS = 400;
/** How promptly the dispatcher must react once a back-off has ended. */
const REACTION_MS = 1_500;

const at = (event: GastownEvent | undefined) => Date.parse(event?.occurredAt ?? '');

describe('dispatcher effects on real JetStream with the real convoy service', () => {
  let world: Harness;
  let dispatcher: TestDispatcher;

  beforeAll(async () => {
    world = await Harness.start();
    dispatcher = await world.dispatcher('dispatcher-effects', { retryBaseMs: BACKOFF_MS, retryMaxMs: 5_000 });
  });
  afterAll(async () => {
    await world?.stop();
  });

  const statusOf = async (convoyId: string, beadId: string) => (await world.view(convoyId)).beads.get(beadId);

  it('given a failed attempt, when the back-off has not passed, then the bead waits; once it has, it is dispatched again', async () => {
    const rigId = await world.rig(2);
    const { convoyId, beadIds } = await world.sling([rigId], 'REVIEW_AND_MERGE');
    const [beadId] = beadIds;
    await eventually('the first attempt', async () => (await statusOf(convoyId, beadId))?.status === 'IN_PROGRESS');

    await world.command(convoyId, 'FailBeadAttempt', { beadId, attempt: 1, reason: 'the tests failed' });
    await eventually('the second attempt', async () => (await statusOf(convoyId, beadId))?.attempt === 2);

    const events = await world.events(convoyId);
    const failed = at(events.find((e) => e.type === 'BeadAttemptFailed'));
    const again = at(events.find((e) => e.type === 'BeadDispatched' && e.data.attempt === 2));
    expect(again - failed).toBeGreaterThanOrEqual(BACKOFF_MS);
    expect(again - failed).toBeLessThan(BACKOFF_MS + REACTION_MS);
    expect(events.find((e) => e.type === 'BeadDispatched' && e.data.attempt === 2)?.commandId).toBe(commandIds.dispatchBead(beadId, 2));
  });

  it('given every bead of a review-then-land convoy on two rigs merged, then landing starts and each rig gets a land job; a failed landing is retried after the back-off', async () => {
    const [api, web] = [await world.rig(1), await world.rig(1)];
    const { convoyId } = await world.sling([api, web]);
    await eventually('every bead merged', async () => {
      const view = await world.view(convoyId);
      for (const bead of view.beads.values()) if (bead.status === 'IN_PROGRESS') await world.finish(convoyId, bead.beadId);
      return [...view.beads.values()].every((b) => b.status === 'CLOSED');
    });
    const landJobs = async (attempt: number) =>
      (await world.jobs()).filter((j) => j.kind === 'land' && j.convoyId === convoyId && j.attempt === attempt).map((j) => j.rigId);

    await eventually('land jobs of attempt 1 for both rigs', async () => (await landJobs(1)).length === 2);
    expect((await landJobs(1)).sort()).toEqual([api, web].sort());
    const started = (await world.events(convoyId)).find((e) => e.type === 'ConvoyLandingStarted');
    expect(started?.commandId).toBe(commandIds.startLanding(convoyId, 1));

    await world.command(convoyId, 'FailLanding', { attempt: 1, reason: 'main moved on' });
    await eventually('land jobs of attempt 2', async () => (await landJobs(2)).length === 2);
    const events = await world.events(convoyId);
    const failed = at(events.find((e) => e.type === 'ConvoyLandingFailed'));
    const restarted = at(events.find((e) => e.type === 'ConvoyLandingStarted' && e.data.attempt === 2));
    expect(restarted - failed).toBeGreaterThanOrEqual(BACKOFF_MS);
    expect(restarted - failed).toBeLessThan(BACKOFF_MS + REACTION_MS);
  });

  describe('cancellation', () => {
    let subscription: Subscription;
    const received: CancelConvoy[] = [];

    beforeAll(() => {
      subscription = world.bus.nc.subscribe(world.bus.names.cancelBroadcast, {
        callback: (error, msg) => {
          if (!error) received.push(CancelConvoy.parse(msg.json()));
        },
      });
    });
    afterAll(() => subscription.unsubscribe());

    it('given a convoy with an agent at work, when it is closed, then every git-runner is told to stop it; a dispatcher started soon after tells them again', async () => {
      const rigId = await world.rig(2);
      const { convoyId, beadIds } = await world.sling([rigId, rigId]);
      await eventually('agents at work', async () => (await statusOf(convoyId, beadIds[0]))?.status === 'IN_PROGRESS');

      await world.command(convoyId, 'CloseConvoy', { reason: 'changed plans' });
      const expected = { townId: world.townId, convoyId, reason: 'changed plans' };
      await eventually('the cancel broadcast', async () => received.some((c) => c.convoyId === convoyId));
      expect(received.filter((c) => c.convoyId === convoyId)).toEqual([expected]);

      const late = await world.dispatcher('dispatcher-late');
      await eventually('the cancel broadcast again', async () => received.filter((c) => c.convoyId === convoyId).length === 2);
      await late.stop();
      expect(dispatcher.lines.some((l) => l.includes(`cancel broadcast for convoy ${convoyId}`))).toBe(true);
    });
  });

  it('given an undecodable commit on one convoy subject, then it is parked with its reason, no payload is logged, and other convoys go on', async () => {
    const subject = world.bus.names.convoyEvents(world.townId, randomUUID());
    const ack = await world.bus.js.publish(subject, 'secret-token-in-a-broken-commit');

    const letters = await eventually('the dead letter', async () => {
      const all = await readDeadLetters(world.bus, 'dispatcher');
      return all.length > 0 && all;
    });
    expect(letters).toEqual([expect.objectContaining({ consumer: 'dispatcher', streamSeq: ack.seq, subject, reason: 'commit is not valid JSON' })]);
    expect(dispatcher.lines.filter((l) => l.startsWith('error'))).toEqual([expect.stringContaining(`${subject}#${ack.seq}`)]);
    expect(dispatcher.lines.join('\n')).not.toContain('secret-token');

    const rigId = await world.rig(1);
    const { convoyId, beadIds } = await world.sling([rigId]);
    await eventually('a later convoy dispatched', async () => (await statusOf(convoyId, beadIds[0]))?.status === 'IN_PROGRESS');
  });
});
