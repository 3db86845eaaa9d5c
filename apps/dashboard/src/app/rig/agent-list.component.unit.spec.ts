import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { provideRouter } from '@angular/router';
import { AgentListComponent } from './agent-list.component';
import { AgentListHarness } from './agent-list.harness';
import { rigAgent } from './rig.fixtures';
import type { RigAgent } from './rig.model';

const NOW = Date.parse('2026-11-25T10:05:00Z');

@Component({ imports: [AgentListComponent], template: '<gt-agent-list [agents]="agents()" [now]="now()" />' })
class Host {
  readonly agents = signal<RigAgent[]>([]);
  readonly now = signal(NOW);
}

async function render(agents: RigAgent[]) {
  TestBed.configureTestingModule({ providers: [provideRouter([])] });
  const fixture = TestBed.createComponent(Host);
  fixture.componentInstance.agents.set(agents);
  return { host: fixture.componentInstance, harness: await TestbedHarnessEnvironment.harnessForFixture(fixture, AgentListHarness) };
}

describe('AgentListComponent', () => {
  it('given a working and an idle agent, then each shows its state, the working one links to its bead with the drawer open', async () => {
    const { harness } = await render([
      rigAgent('polecat-2', {
        status: 'WORKING',
        currentBead: { id: 'b-7', title: 'Fix the header', convoyId: 'c-3' },
        lastHeartbeatAt: '2026-11-25T10:04:40Z',
        attemptsTotal: 3,
      }),
      rigAgent('polecat-1', { attemptsTotal: 1, lastSeenAt: '2026-11-25T09:05:00Z' }),
    ]);

    const [working, idle] = await harness.agents();
    expect(await working.name()).toBe('polecat-2');
    expect(await working.status()).toBe('working');
    expect(await working.bead()).toEqual({ title: 'Fix the header', href: '/convoys/c-3?bead=b-7' });
    expect(await working.lastHeard()).toBe('heartbeat 20 seconds ago · 3 attempts');
    expect(await idle.status()).toBe('idle');
    expect(await idle.bead()).toBeNull();
    expect(await idle.lastHeard()).toBe('last seen 1 hour ago · 1 attempt');
  });

  it('when the page clock moves on, then the heartbeat age follows without new data', async () => {
    const { harness, host } = await render([rigAgent('polecat-1', { status: 'WORKING', lastHeartbeatAt: '2026-11-25T10:04:40Z' })]);
    host.now.set(NOW + 120_000);
    const [agent] = await harness.agents();
    expect(await agent.lastHeard()).toContain('heartbeat 2 minutes ago');
  });

  it('given no agents, then it says none has worked here yet', async () => {
    const { harness } = await render([]);
    expect(await harness.agents()).toEqual([]);
    expect(await harness.emptyMessage()).toBe('No polecat has worked on this rig yet.');
  });
});
