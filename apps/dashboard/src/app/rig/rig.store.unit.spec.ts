import { TestBed } from '@angular/core/testing';
import { GatewayError } from '@gastown/gateway-client/client';
import { FakeGateway } from '../gateway/gateway.fake';
import { GatewayService } from '../gateway/gateway.service';
import { queueEntry, rigAgent, rigBead, rigConvoy, rigInfo } from './rig.fixtures';
import type { MergeQueueEntry, RigAgent, RigConvoy } from './rig.model';
import { BEADS_LISTED } from './rig-convoys.component';
import { QUEUE_LISTED, RigStore } from './rig.store';

interface Change {
  convoyChanged: { sequence: number; convoy: RigConvoy };
}
interface QueueChange {
  mergeQueueChanged: { entries: MergeQueueEntry[] };
}

/** Our own GatewayService, answering from memory: the store under test only sees its API. */
class RigGateway extends FakeGateway<Change | QueueChange> {
  rigs = new Map([['r-1', rigInfo()], ['r-2', rigInfo({ id: 'r-2', name: 'api' })]]);
  convoys: RigConvoy[] = [];
  agents: RigAgent[] = [rigAgent('polecat-1')];
  queue: MergeQueueEntry[] = [];
  agentReads = 0;
  pending: Promise<unknown>[] = [];
  readonly documents: string[] = [];

  request(document: string, variables: Record<string, unknown>): Promise<unknown> {
    this.documents.push(document);
    const answer = this.answer(document, variables);
    this.pending.push(answer.catch(() => undefined));
    return answer;
  }

  private async answer(document: string, variables: Record<string, unknown>): Promise<unknown> {
    const rig = this.rigs.get(variables['id'] as string);
    if (!rig) throw new GatewayError('NOT_FOUND', 'no such rig');
    if (document.includes('query RigAgents')) {
      this.agentReads++;
      return { rig: { agents: this.agents } };
    }
    return { rig: { ...rig, agents: this.agents, mergeQueue: this.queue }, convoys: { edges: this.convoys.map((node) => ({ node })) } };
  }

  /** Lets every answered read land. */
  async settle(): Promise<void> {
    while (this.pending.length > 0) await Promise.all(this.pending.splice(0));
  }
}

async function loaded(convoys: RigConvoy[] = [], queue: MergeQueueEntry[] = []) {
  const gateway = new RigGateway();
  gateway.convoys = convoys;
  gateway.queue = queue;
  TestBed.configureTestingModule({ providers: [RigStore, { provide: GatewayService, useValue: gateway }] });
  const store = TestBed.inject(RigStore);
  await store.load('r-1');
  return { gateway, store };
}

function change(sequence: number, convoy: RigConvoy): Change {
  return { convoyChanged: { sequence, convoy: { ...convoy, sequence } } };
}

describe('RigStore', () => {
  it("given a rig with convoys, then it shows the rig, its agents, its convoys and the refinery's queue, follows the town after the newest convoy decision and follows the queue", async () => {
    const { gateway, store } = await loaded(
      [rigConvoy('c-1', [rigBead('b-1', { status: 'IN_REVIEW' })], { sequence: 12 }), rigConvoy('c-2', [rigBead('b-2')], { sequence: 30 })],
      [queueEntry('b-1', 1)],
    );

    expect(store.rig()?.name).toBe('web');
    expect(store.agents().map((a) => a.name)).toEqual(['polecat-1']);
    expect(store.convoys().map((c) => c.id).sort()).toEqual(['c-1', 'c-2']);
    expect(store.mergeQueue().map((e) => e.bead.id)).toEqual(['b-1']);
    expect(gateway.documents[0]).toContain(`mergeQueue(first: ${QUEUE_LISTED})`);
    expect(gateway.open).toHaveLength(2);
    expect(gateway.open[0].variables()).toEqual({ id: 'r-1', afterSequence: 30 });
    expect(gateway.open[1].document).toContain('mergeQueueChanged(rigId: $id)');
    expect(gateway.open[1].variables()).toEqual({ id: 'r-1' });
  });

  it('when the queue changes, then the view shows the whole queue it was sent, batches included, and a reconnect asks for the rig alone', async () => {
    const { gateway, store } = await loaded([], [queueEntry('b-1', 1), queueEntry('b-2', 2)]);
    const batch = { id: 'batch-1', speculativeOn: null, checkRuns: 1 };

    gateway.open[1].sink.next({ mergeQueueChanged: { entries: [queueEntry('b-2', 1, { status: 'BISECTING', batch, startedAt: '2026-11-25T10:05:00Z' })] } });

    expect(store.mergeQueue().map((e) => [e.position, e.bead.id, e.status, e.batch])).toEqual([[1, 'b-2', 'BISECTING', batch]]);
    expect(gateway.open[1].variables()).toEqual({ id: 'r-1' });
    expect(gateway.agentReads).toBe(0);
  });

  it('given a big town, then the view asks for the rig’s own counts and only the beads it lists, so it fits the default query budget', async () => {
    const { gateway } = await loaded([rigConvoy('c-1', [rigBead('b-1')])]);

    const [view] = gateway.documents;
    expect(view).toContain(`convoys(rigId: $id, first: $first)`);
    expect(view).toContain('rigProgress: progress(rigId: $id)');
    expect(view).toContain(`beads(rigId: $id, first: ${BEADS_LISTED})`);
    expect(gateway.open[0].document).toContain(`beads(rigId: $id, first: ${BEADS_LISTED})`);
  });

  it('given a rig without convoys, then it follows only new changes rather than replaying the town', async () => {
    const { gateway } = await loaded();
    expect(gateway.open[0].variables()).toEqual({ id: 'r-1' });
  });

  it('when a convoy of the rig changes, then it is updated in place, the agents are read again, and a reconnect resumes after it', async () => {
    const { gateway, store } = await loaded([rigConvoy('c-1', [rigBead('b-1')], { sequence: 5 })]);
    gateway.agents = [rigAgent('polecat-1', { status: 'WORKING', currentBead: { id: 'b-1', title: 'bead b-1', convoyId: 'c-1' } })];

    gateway.open[0].sink.next(change(8, rigConvoy('c-1', [rigBead('b-1', { status: 'IN_PROGRESS', assignee: 'polecat-1' })])));
    await gateway.settle();

    expect(store.convoys()[0].beads.map((b) => b.state)).toEqual(['IN_PROGRESS']);
    expect(store.agents()[0].status).toBe('WORKING');
    expect(gateway.open[0].variables()).toEqual({ id: 'r-1', afterSequence: 8 });
  });

  it('when a new convoy puts a bead on the rig, then it appears; a convoy of other rigs changes nothing and reads no agents', async () => {
    const { gateway, store } = await loaded([rigConvoy('c-1', [rigBead('b-1')], { sequence: 5 })]);

    gateway.open[0].sink.next(change(6, rigConvoy('elsewhere', [rigBead('x', { rigId: 'r-2' })])));
    await gateway.settle();
    expect(store.convoys().map((c) => c.id)).toEqual(['c-1']);
    expect(gateway.agentReads).toBe(0);

    gateway.open[0].sink.next(change(7, rigConvoy('c-new', [rigBead('y', { rigId: 'r-2' }), rigBead('z')], { createdAt: '2026-11-25T11:00:00Z' })));
    await gateway.settle();
    expect(store.convoys().map((c) => c.id)).toEqual(['c-new', 'c-1']);
    expect(store.convoys()[0].beads.map((b) => b.id)).toEqual(['z']);
    expect(gateway.agentReads).toBe(1);
  });

  it('when a change already seen is replayed, then it is ignored', async () => {
    const { gateway, store } = await loaded([rigConvoy('c-1', [rigBead('b-1')], { sequence: 5 })]);
    gateway.open[0].sink.next(change(5, rigConvoy('c-1', [rigBead('b-1', { status: 'CLOSED' })])));
    expect(store.convoys()[0].beads[0].status).toBe('OPEN');
    expect(gateway.agentReads).toBe(0);
  });

  it('when many changes arrive while the agents are read, then only one more read follows', async () => {
    const { gateway } = await loaded([rigConvoy('c-1', [rigBead('b-1')], { sequence: 5 })]);
    for (const sequence of [6, 7, 8, 9]) gateway.open[0].sink.next(change(sequence, rigConvoy('c-1', [rigBead('b-1')])));
    await gateway.settle();
    expect(gateway.agentReads).toBe(2);
  });

  it('when another rig is opened, then the first subscription is closed and the view shows only the second rig', async () => {
    const { gateway, store } = await loaded([rigConvoy('c-1', [rigBead('b-1')], { sequence: 5 })]);
    gateway.convoys = [];
    await store.load('r-2');

    expect(gateway.subscriptions.slice(0, 2).map((s) => s.closed)).toEqual([true, true]);
    expect(gateway.open).toHaveLength(2);
    expect(store.rig()?.name).toBe('api');
    expect(store.convoys()).toEqual([]);
  });

  it('given an unknown rig, then it says so and follows nothing', async () => {
    const gateway = new RigGateway();
    TestBed.configureTestingModule({ providers: [RigStore, { provide: GatewayService, useValue: gateway }] });
    const store = TestBed.inject(RigStore);
    await store.load('r-404');
    expect(store.error()).toMatch(/does not exist/);
    expect(store.rig()).toBeNull();
    expect(gateway.subscriptions).toHaveLength(0);
  });
});
