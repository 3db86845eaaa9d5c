import { TestBed } from '@angular/core/testing';
import { GatewayError } from '@gastown/gateway-client/client';
import { FakeGateway } from '../gateway/gateway.fake';
import { GatewayService } from '../gateway/gateway.service';
import { attempt, beadDetail, beadEvent } from './bead.fixtures';
import type { BeadDetail, BeadEvent } from './bead.model';
import { BeadStore } from './bead.store';

interface Change {
  beadChanged: { sequence: number; events: BeadEvent[]; bead: BeadDetail };
}

/** Our own GatewayService, answering from memory: the store under test only sees its API. */
class BeadGateway extends FakeGateway<Change> {
  beads = new Map<string, BeadDetail & { events: BeadEvent[] }>();
  mutations: Record<string, unknown>[] = [];
  refuseRetry: GatewayError | null = null;
  /** Holds the next bead read until released, to race two loads. */
  held: { release: () => void } | null = null;

  async request(document: string, variables: Record<string, unknown>): Promise<unknown> {
    if (document.includes('mutation RetryBead')) {
      this.mutations.push(variables);
      if (this.refuseRetry) throw this.refuseRetry;
      const found = this.beads.get(variables['id'] as string);
      if (!found) throw new GatewayError('NOT_FOUND', 'not found');
      const { events: _events, ...bead } = found;
      return { retryBead: { ...bead, status: 'OPEN', assignee: null } };
    }
    if (this.held) await new Promise<void>((release) => (this.held = { release }));
    const bead = this.beads.get(variables['id'] as string);
    if (!bead) throw new GatewayError('NOT_FOUND', `bead ${variables['id']} not found`);
    return { bead };
  }
}

function setup() {
  const gateway = new BeadGateway();
  TestBed.configureTestingModule({ providers: [BeadStore, { provide: GatewayService, useValue: gateway }] });
  return { gateway, store: TestBed.inject(BeadStore) };
}

function change(sequence: number, bead: BeadDetail, events: BeadEvent[] = [beadEvent(sequence)]): Change {
  return { beadChanged: { sequence, events, bead } };
}

describe('BeadStore', () => {
  it('given a bead with history, when it loads, then it shows the bead and follows on from the newest decision of its history', async () => {
    const { gateway, store } = setup();
    gateway.beads.set('b-1', { ...beadDetail(), events: [beadEvent(3), beadEvent(7, 0), beadEvent(7, 1)] });

    await store.load('b-1');

    expect(store.bead()?.title).toBe('Add the login form');
    expect(store.events().map((e) => e.summary)).toEqual(['event 3.0', 'event 7.0', 'event 7.1']);
    expect(gateway.open).toHaveLength(1);
    expect(gateway.open[0].variables()).toEqual({ beadId: 'b-1', afterSequence: 7 });
  });

  it('given a bead without events, then it follows from the start of the stream', async () => {
    const { gateway, store } = setup();
    gateway.beads.set('b-1', { ...beadDetail(), events: [] });
    await store.load('b-1');
    expect(gateway.open[0].variables()).toEqual({ beadId: 'b-1', afterSequence: 0 });
  });

  it('when a change arrives, then the bead is replaced, its events are appended, and a reconnect resumes after it', async () => {
    const { gateway, store } = setup();
    gateway.beads.set('b-1', { ...beadDetail(), events: [beadEvent(3)] });
    await store.load('b-1');

    const failed = beadDetail({ status: 'FAILED', attempts: [attempt(1, { outcome: 'FAILED', exitCode: 2 })] });
    gateway.open[0].sink.next(change(9, failed, [beadEvent(9, 0, { type: 'BeadFailed', summary: 'failed: exit 2' })]));

    expect(store.bead()?.status).toBe('FAILED');
    expect(store.events().map((e) => e.summary)).toEqual(['event 3.0', 'failed: exit 2']);
    expect(gateway.open[0].variables()).toEqual({ beadId: 'b-1', afterSequence: 9 });
  });

  it('when a change it has already seen is replayed, then nothing changes', async () => {
    const { gateway, store } = setup();
    gateway.beads.set('b-1', { ...beadDetail(), events: [beadEvent(3), beadEvent(5)] });
    await store.load('b-1');

    gateway.open[0].sink.next(change(5, beadDetail({ status: 'CLOSED' }), [beadEvent(5)]));

    expect(store.bead()?.status).toBe('IN_PROGRESS');
    expect(store.events()).toHaveLength(2);
  });

  it('when another bead is opened, then the first subscription is closed and only the second bead is followed', async () => {
    const { gateway, store } = setup();
    gateway.beads.set('b-1', { ...beadDetail(), events: [beadEvent(3)] });
    gateway.beads.set('b-2', { ...beadDetail({ id: 'b-2', title: 'Upstream', rigId: 'r-2' }), events: [beadEvent(4)] });
    await store.load('b-1');
    const first = gateway.subscriptions[0];

    await store.load('b-2');

    expect(first.closed).toBe(true);
    expect(gateway.open).toHaveLength(1);
    expect(gateway.open[0].variables()).toEqual({ beadId: 'b-2', afterSequence: 4 });
    expect(store.bead()?.title).toBe('Upstream');
  });

  it('given a slow first read, when another bead is opened meanwhile, then the late answer is ignored', async () => {
    const { gateway, store } = setup();
    gateway.beads.set('b-1', { ...beadDetail(), events: [beadEvent(3)] });
    gateway.beads.set('b-2', { ...beadDetail({ id: 'b-2', title: 'Second' }), events: [beadEvent(4)] });
    gateway.held = { release: () => undefined };
    const slow = store.load('b-1');
    await Promise.resolve();
    const release = gateway.held.release;
    gateway.held = null;
    await store.load('b-2');
    release();
    await slow;

    expect(store.bead()?.title).toBe('Second');
    expect(gateway.open.map((s) => s.variables()['beadId'])).toEqual(['b-2']);
  });

  it('when the store is destroyed, then the subscription is closed', async () => {
    const { gateway, store } = setup();
    gateway.beads.set('b-1', { ...beadDetail(), events: [] });
    await store.load('b-1');
    TestBed.resetTestingModule();
    expect(gateway.subscriptions[0].closed).toBe(true);
    expect(store.bead()).not.toBeNull();
  });

  it('given an unknown bead, then it says the bead does not exist and follows nothing', async () => {
    const { gateway, store } = setup();
    await store.load('nope');
    expect(store.bead()).toBeNull();
    expect(store.loading()).toBe(false);
    expect(store.error()).toMatch(/does not exist/);
    expect(gateway.subscriptions).toHaveLength(0);
  });

  it('when a failed bead is retried, then the retry carries a fresh command id, shows progress, and the bead is reopened', async () => {
    const { gateway, store } = setup();
    gateway.beads.set('b-1', { ...beadDetail({ status: 'FAILED' }), events: [] });
    await store.load('b-1');

    const retrying = store.retry();
    expect(store.busy()).toBe(true);
    await retrying;
    await store.retry();

    expect(store.busy()).toBe(false);
    expect(store.bead()?.status).toBe('OPEN');
    expect(gateway.mutations).toHaveLength(2);
    expect(gateway.mutations[0]['id']).toBe('b-1');
    expect(gateway.mutations[0]['commandId']).toMatch(/^[0-9a-f-]{36}$/);
    expect(gateway.mutations[0]['commandId']).not.toBe(gateway.mutations[1]['commandId']);
  });

  it('when the server refuses the retry, then its reason is shown and the bead stays as it was', async () => {
    const { gateway, store } = setup();
    gateway.beads.set('b-1', { ...beadDetail({ status: 'FAILED' }), events: [] });
    gateway.refuseRetry = new GatewayError('CONFLICT', 'bead b-1 is OPEN, only a FAILED bead can be retried');
    await store.load('b-1');

    await store.retry();

    expect(store.retryError()).toBe('bead b-1 is OPEN, only a FAILED bead can be retried');
    expect(store.busy()).toBe(false);
    expect(store.bead()?.status).toBe('FAILED');
  });

  it('when the subscription is refused for good, then the bead stays and the reason is shown', async () => {
    const { gateway, store } = setup();
    gateway.beads.set('b-1', { ...beadDetail(), events: [] });
    await store.load('b-1');
    gateway.open[0].sink.error?.(new GatewayError('INTERNAL', 'the stream is gone'));
    expect(store.bead()).not.toBeNull();
    expect(store.error()).toBe('Live updates stopped: the stream is gone');
  });
});
