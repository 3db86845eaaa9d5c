import { TestBed } from '@angular/core/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { provideRouter } from '@angular/router';
import { GatewayError } from '@gastown/gateway-client/client';
import { GatewayService, type LiveSink } from '../gateway/gateway.service';
import { AgentListHarness } from './agent-list.harness';
import { MergeQueueHarness } from './merge-queue.harness';
import { RigAgentHarness } from './rig-agent.harness';
import { RigConvoysHarness } from './rig-convoys.harness';
import { queueEntry, rigAgent, rigBead, rigConvoy, rigInfo } from './rig.fixtures';
import type { MergeQueueEntry, RigAgentConfig, RigConvoy } from './rig.model';
import { RigPage } from './rig.page';

/** Our own GatewayService: one rig, one convoy, and the live feeds the test drives. */
class FakeGateway {
  agents = [rigAgent('polecat-1')];
  agent: RigAgentConfig = rigInfo().config.agent;
  documents: string[] = [];
  sink: LiveSink<{ convoyChanged: { sequence: number; convoy: RigConvoy } }> | null = null;
  queueSink: LiveSink<{ mergeQueueChanged: { entries: MergeQueueEntry[] } }> | null = null;
  pending: Promise<unknown>[] = [];

  request(document: string, variables: Record<string, unknown>): Promise<unknown> {
    this.documents.push(document);
    const answer = (async () => {
      if (variables['id'] !== 'r-1') throw new GatewayError('NOT_FOUND', 'no such rig');
      if (document.includes('query RigAgents')) return { rig: { agents: this.agents } };
      const convoy = rigConvoy('c-1', [rigBead('b-1', { title: 'Form' }), rigBead('b-2', { rigId: 'r-2' })], { title: 'Login', sequence: 4 });
      return {
        rig: {
          ...rigInfo({ config: { ...rigInfo().config, agent: this.agent, checks: [{ name: 'lint' }, { name: 'test' }] } }),
          agents: this.agents,
          mergeQueue: [],
        },
        convoys: { edges: [{ node: convoy }] },
      };
    })();
    this.pending.push(answer.catch(() => undefined));
    return answer;
  }

  live(document: string, _variables: unknown, sink: LiveSink<never>): void {
    if (document.includes('mergeQueueChanged')) this.queueSink = sink;
    else this.sink = sink;
  }

  async settle(): Promise<void> {
    while (this.pending.length > 0) await Promise.all(this.pending.splice(0));
  }
}

async function open(rigId: string, agent?: RigAgentConfig) {
  const gateway = new FakeGateway();
  if (agent) gateway.agent = agent;
  TestBed.configureTestingModule({ providers: [provideRouter([]), { provide: GatewayService, useValue: gateway }] });
  const fixture = TestBed.createComponent(RigPage);
  fixture.componentRef.setInput('rigId', rigId);
  await fixture.whenStable();
  await gateway.settle();
  await fixture.whenStable();
  const page = fixture.nativeElement as HTMLElement;
  return { fixture, gateway, page, loader: TestbedHarnessEnvironment.loader(fixture) };
}

describe('RigPage', () => {
  it('given a rig, then its name is the one h1, with its settings, convoys, merge queue and agents in their sections', async () => {
    const { page, loader } = await open('r-1');

    expect([...page.querySelectorAll('h1')].map((h) => h.textContent?.trim())).toEqual(['web']);
    expect(page.querySelector('[data-testid=rig-capacity]')?.textContent?.trim()).toBe('0 of 4 at work');
    expect(page.textContent).toContain('lint, test');
    for (const id of ['rig-convoys', 'merge-queue', 'rig-agents']) expect(page.querySelector(`section[data-testid=${id}] h2`)).not.toBeNull();
    const [convoy] = await (await loader.getHarness(RigConvoysHarness)).convoys();
    expect((await convoy.beads()).map((b) => b.text)).toEqual(['Form, open']);
    expect(await (await loader.getHarness(MergeQueueHarness)).emptyMessage()).toBe('Nothing waits for review.');
    expect(await (await loader.getHarness(AgentListHarness)).agents()).toHaveLength(1);
  });

  it('given a rig on an operator profile, then its Agent fact names the profile the rig was read with', async () => {
    const { gateway, loader } = await open('r-1', { kind: 'PROFILE', command: null, profile: 'claude' });

    expect(gateway.documents[0]).toMatch(/agent \{ kind command profile \}/);
    const agent = await loader.getHarness(RigAgentHarness);
    expect(await agent.profile()).toBe('claude');
    expect(await agent.text()).toBe('operator profile claude');
  });

  it('when a bead of the rig is handed in, then the agents are read again, and the merge queue shows it once the refinery queue says so', async () => {
    const { fixture, gateway, loader, page } = await open('r-1');
    gateway.agents = [rigAgent('polecat-1', { attemptsTotal: 1 })];

    gateway.sink?.next({
      convoyChanged: { sequence: 9, convoy: rigConvoy('c-1', [rigBead('b-1', { title: 'Form', status: 'IN_REVIEW' })], { title: 'Login', sequence: 9 }) },
    });
    await gateway.settle();
    await fixture.whenStable();
    expect(await (await loader.getHarness(MergeQueueHarness)).items()).toEqual([]);
    const [agent] = await (await loader.getHarness(AgentListHarness)).agents();
    expect(await agent.lastHeard()).toContain('1 attempt');

    const bead = { id: 'b-1', title: 'Form', convoyId: 'c-1', assignee: null, convoy: { title: 'Login' } };
    gateway.queueSink?.next({ mergeQueueChanged: { entries: [queueEntry('b-1', 1, { bead })] } });
    await fixture.whenStable();

    const [item] = await (await loader.getHarness(MergeQueueHarness)).items();
    expect(await item.label()).toBe('Next: Form');
    expect(page.querySelector('#merge-queue-heading')?.textContent?.trim()).toBe('Merge queue (1)');
  });

  it('given an unknown rig, then the page says so under its one h1', async () => {
    const { page } = await open('r-404');
    expect([...page.querySelectorAll('h1')].map((h) => h.textContent?.trim())).toEqual(['Rig not found']);
    expect(page.querySelector('[role=alert]')?.textContent).toContain('does not exist');
  });
});
