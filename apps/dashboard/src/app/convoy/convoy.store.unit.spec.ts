import { ApplicationRef } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { GatewayError } from '@gastown/gateway-client/client';
import { FakeGateway } from '../gateway/gateway.fake';
import { GatewayService } from '../gateway/gateway.service';
import { convoyBead, convoyDetail } from './convoy.fixtures';
import { BEAD_PAGE, BEAD_REFRESH, EDGE_PAGE, ConvoyStore, type ConvoyChange, type ConvoyDetail } from './convoy.store';

/** Our GatewayService's two doors, answering from a script. */
class ConvoyGateway extends FakeGateway<{ convoyChanged: ConvoyChange }> {
  readonly calls: { document: string; variables: Record<string, unknown> }[] = [];
  answer: (document: string, variables: Record<string, unknown>) => Promise<unknown> = () => Promise.resolve({ convoy: convoyDetail() });

  request<T>(document: string, variables: Record<string, unknown> = {}): Promise<T> {
    this.calls.push({ document, variables });
    return this.answer(document, variables) as Promise<T>;
  }

  mutations(name: string) {
    return this.calls.filter((c) => c.document.includes(`${name}(`));
  }
}

function setup() {
  const gateway = new ConvoyGateway();
  TestBed.configureTestingModule({ providers: [ConvoyStore, { provide: GatewayService, useValue: gateway }] });
  return { gateway, store: TestBed.inject(ConvoyStore) };
}

const change = (sequence: number, extra: Partial<ConvoyDetail> = {}, events: ConvoyChange['events'] = []) => ({
  convoyChanged: { sequence, events, convoy: convoyDetail({ sequence, ...extra }) },
});

/** A convoy of `beads` beads in a chain, answered page by page as the gateway pages it (first/after, edges by cursor). */
function bigConvoy(beads: number) {
  const all = Array.from({ length: beads }, (_, i) => convoyBead(`b-${i}`, `task ${i}`, { index: i }));
  const edges = all.slice(1).map((b, i) => ({ beadId: b.id, dependsOnBeadId: all[i].id, cursor: `e-${i}` }));
  return (document: string, variables: Record<string, unknown>) => {
    if (document.includes('bead(id:')) {
      return Promise.resolve(Object.fromEntries(Object.entries(variables).map(([alias, id]) => [alias, { ...all[Number(String(id).slice(2))], status: 'IN_PROGRESS' }])));
    }
    const from = <T>(list: T[], key: (item: T) => string, after: unknown) => (after ? list.findIndex((item) => key(item) === after) + 1 : 0);
    const b = from(all, (x) => x.id, variables['beadsAfter']);
    const e = from(edges, (x) => x.cursor, variables['edgesAfter']);
    return Promise.resolve({
      convoy: convoyDetail({
        progress: { total: beads, open: beads, blocked: 0, inProgress: 0, inReview: 0, closed: 0, failed: 0, cancelled: 0 },
        beads: all.slice(b, b + Number(variables['beads'])),
        dependencyEdges: edges.slice(e, e + Number(variables['edges'])),
      }),
    });
  };
}

describe('ConvoyStore', () => {
  it('given a convoy, when loaded, then it is shown and followed from the sequence it was read at', async () => {
    const { gateway, store } = setup();

    await store.load('convoy-1');

    expect(gateway.calls[0].variables).toEqual({ id: 'convoy-1', beads: BEAD_PAGE, beadsAfter: null, edges: EDGE_PAGE, edgesAfter: null });
    expect(gateway.calls).toHaveLength(1);
    expect(store.convoy()?.title).toBe('Login page');
    expect(store.loading()).toBe(false);
    expect(gateway.subscriptions).toHaveLength(1);
    expect(gateway.subscriptions[0].document).toContain('convoyChanged(convoyId: $convoyId, afterSequence: $afterSequence)');
    expect(gateway.subscriptions[0].variables()).toEqual({ convoyId: 'convoy-1', afterSequence: 10 });
  });

  it('when changes arrive, then each newer one replaces the convoy, a repeated one is ignored, and a reconnect resumes after the last', async () => {
    const { gateway, store } = setup();
    await store.load('convoy-1');
    const live = gateway.subscriptions[0];

    live.sink.next(change(12, { status: 'READY_TO_LAND' }));
    expect(store.convoy()?.status).toBe('READY_TO_LAND');

    live.sink.next(change(11, { status: 'ACTIVE' }));
    live.sink.next(change(12, { status: 'ACTIVE' }));
    expect(store.convoy()?.status).toBe('READY_TO_LAND');

    live.sink.next(change(15, { status: 'LANDED', landedCommit: 'fff1a1de' }));
    expect(store.convoy()?.landedCommit).toBe('fff1a1de');
    expect(live.variables()).toEqual({ convoyId: 'convoy-1', afterSequence: 15 });
  });

  it('given a convoy of 1,200 beads, when loaded, then it is shown after its first page and completed page by page with the cursors, each bead and edge once', async () => {
    const { gateway, store } = setup();
    gateway.answer = bigConvoy(1_200);
    const shownAfterFirst: number[] = [];
    const answer = gateway.answer;
    gateway.answer = (document, variables) => {
      if (gateway.calls.length === 2) shownAfterFirst.push(store.convoy()?.beads.length ?? 0, store.paging() ? 1 : 0);
      return answer(document, variables);
    };

    await store.load('convoy-1');

    expect(shownAfterFirst).toEqual([BEAD_PAGE, 1]);
    expect(gateway.calls.map((c) => [c.variables['beads'], c.variables['beadsAfter'], c.variables['edges'], c.variables['edgesAfter']])).toEqual([
      [BEAD_PAGE, null, EDGE_PAGE, null],
      [BEAD_PAGE, `b-${BEAD_PAGE - 1}`, 0, 'e-1198'],
      [BEAD_PAGE, `b-${2 * BEAD_PAGE - 1}`, 0, 'e-1198'],
    ]);
    expect(store.convoy()?.beads.map((b) => b.index)).toEqual(Array.from({ length: 1_200 }, (_, i) => i));
    expect(store.convoy()?.dependencyEdges).toHaveLength(1_199);
    expect(store.convoy()?.dependencyEdges[0]).toEqual({ beadId: 'b-1', dependsOnBeadId: 'b-0' });
    expect(store.paging()).toBe(false);
    expect(gateway.subscriptions).toHaveLength(1);
  });

  it('given a big convoy shown, when a change names a few beads, then only those are read again and patched in', async () => {
    const { gateway, store } = setup();
    gateway.answer = bigConvoy(1_200);
    await store.load('convoy-1');
    gateway.calls.length = 0;

    gateway.subscriptions[0].sink.next(change(11, {}, [{ type: 'BeadDispatched', beadIds: ['b-7'] }, { type: 'BeadDispatched', beadIds: ['b-1100'] }]));
    await TestBed.inject(ApplicationRef).whenStable();

    expect(gateway.calls).toHaveLength(1);
    expect(gateway.calls[0].document).toContain('b0: bead(id: $b0)');
    expect(gateway.calls[0].variables).toEqual({ b0: 'b-7', b1: 'b-1100' });
    const statuses = store.convoy()?.beads.filter((b) => b.status === 'IN_PROGRESS').map((b) => b.id);
    expect(statuses).toEqual(['b-7', 'b-1100']);
    expect(store.convoy()?.beads).toHaveLength(1_200);
  });

  it('given a big convoy shown, when a change adds beads or names more than a page of refreshes, then every page is read again', async () => {
    const { gateway, store } = setup();
    gateway.answer = bigConvoy(1_200);
    await store.load('convoy-1');
    gateway.calls.length = 0;
    gateway.answer = bigConvoy(1_300);

    const many = Array.from({ length: BEAD_REFRESH + 1 }, (_, i) => `b-${i}`);
    gateway.subscriptions[0].sink.next(change(11, {}, [{ type: 'BeadCreated', beadIds: ['b-1299'] }, { type: 'BeadsBecameReady', beadIds: many }]));
    await TestBed.inject(ApplicationRef).whenStable();

    expect(gateway.calls).toHaveLength(3);
    expect(store.convoy()?.beads).toHaveLength(1_300);
    expect(store.convoy()?.dependencyEdges).toHaveLength(1_299);
  });

  it('given an id no convoy of this town has, when loaded, then it says so and follows nothing', async () => {
    const { gateway, store } = setup();
    gateway.answer = () => Promise.reject(new GatewayError('NOT_FOUND', 'convoy x not found'));

    await store.load('x');

    expect(store.notFound()).toBe(true);
    expect(store.convoy()).toBeNull();
    expect(store.loadError()).toBeNull();
    expect(gateway.subscriptions).toHaveLength(0);
  });

  it('given an unreachable gateway, when loaded, then the reason is shown', async () => {
    const { gateway, store } = setup();
    gateway.answer = () => Promise.reject(new GatewayError('UNREACHABLE', 'The gateway did not answer.'));

    await store.load('convoy-1');

    expect(store.notFound()).toBe(false);
    expect(store.loadError()).toBe('The gateway did not answer.');
  });

  it('when the subscription is refused for good, then the page says live updates stopped', async () => {
    const { gateway, store } = setup();
    await store.load('convoy-1');

    gateway.subscriptions[0].sink.error?.(new GatewayError('INTERNAL', 'boom'));

    expect(store.loadError()).toBe('Live updates stopped: boom');
    expect(store.convoy()?.title).toBe('Login page');
  });

  it('when another convoy is loaded, then the first one stops being followed and its late answers are dropped', async () => {
    const { gateway, store } = setup();
    await store.load('convoy-1');
    const first = gateway.subscriptions[0];

    await store.load('convoy-2');
    first.sink.next(change(99, { title: 'Stale' }));

    expect(first.closed).toBe(true);
    expect(store.convoy()?.title).toBe('Login page');
    expect(gateway.subscriptions[1].variables()).toEqual({ convoyId: 'convoy-2', afterSequence: 10 });
  });

  describe('given a staged convoy', () => {
    it('when started, then startConvoy is sent with an idempotency key, busy shows meanwhile, and the result is shown', async () => {
      const { gateway, store } = setup();
      gateway.answer = () => Promise.resolve({ convoy: convoyDetail({ status: 'STAGED', staged: true }) });
      await store.load('convoy-1');
      let release: (value: unknown) => void = () => undefined;
      gateway.answer = () => new Promise((resolve) => (release = resolve));

      const started = store.start();
      expect(store.busy()).toBe('start');
      release({ startConvoy: convoyDetail({ sequence: 11, status: 'ACTIVE' }) });

      expect(await started).toBe(true);
      expect(store.busy()).toBeNull();
      expect(store.convoy()?.status).toBe('ACTIVE');
      const [sent] = gateway.mutations('startConvoy');
      expect(sent.variables).toEqual({ id: 'convoy-1', commandId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    });

    it('when started twice, then each action carries its own key', async () => {
      const { gateway, store } = setup();
      await store.load('convoy-1');
      gateway.answer = () => Promise.resolve({ startConvoy: convoyDetail({ sequence: 11 }) });

      await store.start();
      await store.start();

      const [a, b] = gateway.mutations('startConvoy').map((c) => c.variables['commandId']);
      expect(a).not.toBe(b);
    });
  });

  it('when closed, then closeConvoy carries the reason, and the live echo of that decision changes nothing', async () => {
    const { gateway, store } = setup();
    await store.load('convoy-1');
    gateway.answer = () => Promise.resolve({ closeConvoy: convoyDetail({ sequence: 14, status: 'CANCELLED', cancelReason: 'wrong plan' }) });

    expect(await store.close('wrong plan')).toBe(true);
    gateway.subscriptions[0].sink.next(change(13, { status: 'ACTIVE' }));

    expect(gateway.mutations('closeConvoy')[0].variables).toEqual(expect.objectContaining({ id: 'convoy-1', reason: 'wrong plan' }));
    expect(store.convoy()?.status).toBe('CANCELLED');
    expect(store.convoy()?.cancelReason).toBe('wrong plan');
    expect(gateway.subscriptions[0].variables()['afterSequence']).toBe(14);
  });

  it('when the gateway refuses to close, then the error says why and nothing is busy', async () => {
    const { gateway, store } = setup();
    await store.load('convoy-1');
    gateway.answer = () => Promise.reject(new GatewayError('CONFLICT', 'The convoy already landed.'));

    expect(await store.close('late')).toBe(false);

    expect(store.error()).toEqual({ action: 'close', message: 'Could not close the convoy: The convoy already landed.' });
    expect(store.busy()).toBeNull();
    expect(store.convoy()?.status).toBe('ACTIVE');
  });
});
