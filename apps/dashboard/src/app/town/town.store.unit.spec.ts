import { TestBed } from '@angular/core/testing';
import { FakeGateway } from '../gateway/gateway.fake';
import { GatewayService } from '../gateway/gateway.service';
import { TownStore, type ConvoySummary } from './town.store';

function convoy(id: string, overrides: Partial<ConvoySummary> = {}): ConvoySummary {
  return {
    id,
    title: `convoy ${id}`,
    status: 'ACTIVE',
    mergeMode: 'REVIEW_THEN_LAND',
    staged: false,
    featureBranch: `convoy/${id}`,
    createdAt: '2026-11-25T10:00:00Z',
    updatedAt: '2026-11-25T10:00:00Z',
    landedAt: null,
    landedCommit: null,
    sequence: 1,
    progress: { total: 1, open: 1, blocked: 0, inProgress: 0, inReview: 0, closed: 0, failed: 0, cancelled: 0 },
    ...overrides,
  };
}

/** Our own GatewayService, answering from memory: the store under test only sees its API. */
class TownGateway extends FakeGateway<{ convoyChanged: { sequence: number; convoy: ConvoySummary } }> {
  convoys: ConvoySummary[] = [];
  agentReads = 0;

  async request(document: string): Promise<unknown> {
    if (document.includes('TownOverview')) {
      return {
        rigs: [{ id: 'r-1', name: 'api', defaultBranch: 'main', config: { maxPolecats: 4 } }],
        convoys: { totalCount: this.convoys.length, edges: this.convoys.map((node) => ({ node })) },
      };
    }
    this.agentReads++;
    return { agents: [] };
  }
}

async function loaded(convoys: ConvoySummary[]) {
  const gateway = new TownGateway();
  gateway.convoys = convoys;
  TestBed.configureTestingModule({ providers: [TownStore, { provide: GatewayService, useValue: gateway }] });
  const store = TestBed.inject(TownStore);
  await store.load();
  return { store, gateway };
}

describe('TownStore', () => {
  it('given active and finished convoys, then active ones come first, newest first, and finished ones are recent by last change', async () => {
    const { store } = await loaded([
      convoy('landed-late', { status: 'LANDED', updatedAt: '2026-11-25T12:00:00Z' }),
      convoy('old-active', { createdAt: '2026-11-25T09:00:00Z' }),
      convoy('cancelled-early', { status: 'CANCELLED', updatedAt: '2026-11-25T11:00:00Z' }),
      convoy('staged', { status: 'STAGED', createdAt: '2026-11-25T11:30:00Z' }),
    ]);

    expect(store.active().map((c) => c.id)).toEqual(['staged', 'old-active']);
    expect(store.recent().map((c) => c.id)).toEqual(['landed-late', 'cancelled-early']);
  });

  it('given the list shows decisions up to sequence 40, then it follows the town from there and, after a reconnect, from the last change it saw', async () => {
    const { gateway } = await loaded([convoy('a', { sequence: 40 }), convoy('b', { sequence: 17 })]);

    expect(gateway.open[0].variables()).toEqual({ afterSequence: 40 });
    gateway.open[0].sink.next({ convoyChanged: { sequence: 44, convoy: convoy('a', { sequence: 44 }) } });
    expect(gateway.open[0].variables()).toEqual({ afterSequence: 44 });
  });

  it('when a change lands a convoy, then its card moves to recent; a new convoy appears; a replayed change is ignored', async () => {
    const { store, gateway } = await loaded([convoy('a', { sequence: 5 })]);

    gateway.open[0].sink.next({ convoyChanged: { sequence: 6, convoy: convoy('a', { sequence: 6, status: 'LANDED', landedCommit: 'abc' }) } });
    gateway.open[0].sink.next({ convoyChanged: { sequence: 7, convoy: convoy('new', { sequence: 7 }) } });
    gateway.open[0].sink.next({ convoyChanged: { sequence: 6, convoy: convoy('a', { sequence: 6, status: 'ACTIVE' }) } });

    expect(store.recent().map((c) => [c.id, c.status])).toEqual([['a', 'LANDED']]);
    expect(store.active().map((c) => c.id)).toEqual(['new']);
    expect(store.totalConvoys()).toBe(2);
  });

  it('when convoys change, then the agents are read again, since an agent starts and ends work with a convoy decision', async () => {
    const { gateway } = await loaded([convoy('a', { sequence: 5 })]);
    const before = gateway.agentReads;

    gateway.open[0].sink.next({ convoyChanged: { sequence: 6, convoy: convoy('a', { sequence: 6 }) } });
    await Promise.resolve();

    expect(gateway.agentReads).toBeGreaterThan(before);
  });
});
