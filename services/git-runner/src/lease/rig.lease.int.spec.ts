import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connectBus, type Bus } from '@gastown/bus';
import { TEST_NATS_URL, testNamespace } from '@gastown/testing';
import { RigRepository } from '../git/rig.repository';
import { createOrigin, type OriginFixture } from '../git/testing/origin.fixture';
import { leaseBucket, LeaseLostError, LeaseUnavailableError, RigLease, withRigLease, type HeldRigLease } from './rig.lease';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('RigLease on NATS KV', () => {
  let bus: Bus;
  const held: HeldRigLease[] = [];
  const track = (lease: HeldRigLease) => {
    held.push(lease);
    return lease;
  };

  beforeAll(async () => {
    bus = await connectBus({ servers: TEST_NATS_URL, namespace: testNamespace(), name: 'rig-lease-spec', logger: silent });
  });

  afterAll(async () => {
    await Promise.all(held.map((lease) => lease.release().catch(() => undefined)));
    await bus.jsm.streams.delete(`KV_${leaseBucket(bus.names)}`);
    await bus.close();
  });

  it('never lets two holders into one rig at once, and hands out growing fencing tokens', async () => {
    const a = new RigLease(bus, { holderId: 'runner-a', ttlMs: 3_000 });
    const b = new RigLease(bus, { holderId: 'runner-b', ttlMs: 3_000 });
    const sections: { holder: string; enter: number; exit: number; token: number }[] = [];
    const section = (lease: RigLease) =>
      withRigLease(
        lease,
        'rig-overlap',
        async (mine) => {
          const enter = performance.now();
          await mine.fence();
          await sleep(2);
          await mine.fence();
          sections.push({ holder: lease.holderId, enter, exit: performance.now(), token: mine.token });
        },
        { waitMs: 15_000 },
      );

    await Promise.all(Array.from({ length: 12 }, () => [section(a), section(b)]).flat());

    expect(sections).toHaveLength(24);
    expect(new Set(sections.map((s) => s.holder))).toEqual(new Set(['runner-a', 'runner-b']));
    sections.sort((x, y) => x.enter - y.enter);
    for (let i = 1; i < sections.length; i++) {
      expect(sections[i].enter).toBeGreaterThanOrEqual(sections[i - 1].exit);
      expect(sections[i].token).toBeGreaterThan(sections[i - 1].token);
    }
  });

  it('keeps a live holder\'s lease across several ttls by renewing it, and hands it over at once on release', async () => {
    const a = new RigLease(bus, { holderId: 'runner-a', ttlMs: 400 });
    const b = new RigLease(bus, { holderId: 'runner-b', ttlMs: 400 });
    const mine = track(await a.acquire('rig-renew'));
    const first = mine.token;

    await sleep(1_300);
    await expect(b.acquire('rig-renew', { waitMs: 0 })).rejects.toBeInstanceOf(LeaseUnavailableError);
    await expect(mine.fence()).resolves.toBeUndefined();
    expect(mine.token).toBeGreaterThan(first);

    await mine.release();
    await expect(mine.fence()).rejects.toBeInstanceOf(LeaseLostError);
    const started = Date.now();
    track(await b.acquire('rig-renew', { waitMs: 0 }));
    expect(Date.now() - started).toBeLessThan(200);
  });

  it('lets different rigs proceed in parallel', async () => {
    const a = new RigLease(bus, { holderId: 'runner-a', ttlMs: 3_000 });
    const b = new RigLease(bus, { holderId: 'runner-b', ttlMs: 3_000 });
    const spans: { enter: number; exit: number }[] = [];
    const hold = (lease: RigLease, rigId: string) =>
      withRigLease(
        lease,
        rigId,
        async () => {
          const enter = performance.now();
          await sleep(300);
          spans.push({ enter, exit: performance.now() });
        },
        { waitMs: 0 },
      );

    await Promise.all([hold(a, 'rig-left'), hold(b, 'rig-right')]);
    expect(Math.max(spans[0].enter, spans[1].enter)).toBeLessThan(Math.min(spans[0].exit, spans[1].exit));
  });

  describe('a holder paused past its ttl', () => {
    let origin: OriginFixture;

    beforeAll(() => {
      origin = createOrigin();
    });

    afterAll(() => origin.remove());

    it('loses the lease to the next holder: its fence throws and its merge push is refused', async () => {
      const feature = 'convoy/paused/0a0b0c0d/head';
      const source = 'convoy/paused/0a0b0c0d/gt/polecat-1/11110000';
      const repo = new RigRepository({
        rigId: 'rig-paused',
        gitUrl: origin.url,
        defaultBranch: 'main',
        dir: join(origin.root, 'runner'),
        env: { HOME: origin.home },
      });
      await repo.ensureFeatureBranch(feature);
      origin.commit(source, { 'paused.txt': 'p\n' }, { from: feature });

      // Renewal off: what a holder looks like from outside while its process is stopped.
      const paused = new RigLease(bus, { holderId: 'runner-paused', ttlMs: 500, renewEveryMs: 0 });
      const next = new RigLease(bus, { holderId: 'runner-next', ttlMs: 500 });
      const pausedAt = Date.now();
      const stale = track(await paused.acquire('rig-paused'));
      const merged = await repo.merge({ source, target: feature, message: 'Merge paused', key: 'merge-paused' });
      if (merged.kind !== 'merged') throw new Error(`expected a merge, got ${merged.kind}`);

      const current = track(await next.acquire('rig-paused', { waitMs: 5_000 }));
      expect(Date.now() - pausedAt).toBeGreaterThanOrEqual(500);
      expect(current.token).toBeGreaterThan(stale.token);

      // The paused holder wakes up and carries on where it stopped: right before its push.
      await expect(
        repo.pushMerge({ commit: merged.commit, target: feature, expectedTip: merged.targetTip, fence: stale.fence }),
      ).rejects.toBeInstanceOf(LeaseLostError);
      expect(origin.tip(feature)).toBe(merged.targetTip);
      expect(stale.lost).toBe(true);
      expect(stale.signal.aborted).toBe(true);
      await expect(stale.fence()).rejects.toBeInstanceOf(LeaseLostError);
      await expect(stale.renew()).rejects.toBeInstanceOf(LeaseLostError);

      // Its release must not free the lease it no longer holds.
      await stale.release();
      await expect(current.fence()).resolves.toBeUndefined();
      await expect(paused.acquire('rig-paused', { waitMs: 0 })).rejects.toBeInstanceOf(LeaseUnavailableError);
      await expect(
        repo.pushMerge({ commit: merged.commit, target: feature, expectedTip: merged.targetTip, fence: current.fence }),
      ).resolves.toBe(merged.commit);
      await repo.discardMerge('merge-paused');
    });

    it('is taken over by compare-and-set, so of two waiters only one gets an expired lease', async () => {
      const paused = new RigLease(bus, { holderId: 'runner-paused', ttlMs: 300, renewEveryMs: 0 });
      track(await paused.acquire('rig-expired'));
      await sleep(400);
      const contenders = [new RigLease(bus, { holderId: 'runner-x', ttlMs: 3_000 }), new RigLease(bus, { holderId: 'runner-y', ttlMs: 3_000 })];
      const results = await Promise.allSettled(contenders.map((lease) => lease.acquire('rig-expired', { waitMs: 300 })));
      const winners = results.filter((result) => result.status === 'fulfilled');
      expect(winners).toHaveLength(1);
      winners.forEach((winner) => track((winner as PromiseFulfilledResult<HeldRigLease>).value));
      expect(results.find((result) => result.status === 'rejected')).toMatchObject({ reason: expect.any(LeaseUnavailableError) });
    });
  });
});
