import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { RigAgentComponent } from './rig-agent.component';
import { RigAgentHarness } from './rig-agent.harness';
import type { RigAgentConfig } from './rig.model';

@Component({ imports: [RigAgentComponent], template: '<gt-rig-agent [agent]="agent()" />' })
class Host {
  readonly agent = signal<RigAgentConfig>({ kind: 'DEMO', command: null, profile: null });
}

async function render(agent: RigAgentConfig) {
  const fixture = TestBed.createComponent(Host);
  fixture.componentInstance.agent.set(agent);
  return TestbedHarnessEnvironment.harnessForFixture(fixture, RigAgentHarness);
}

describe('RigAgentComponent', () => {
  it('given a rig on an operator profile, then the profile is named, not the demo agent', async () => {
    const harness = await render({ kind: 'PROFILE', command: null, profile: 'claude' });

    expect(await harness.text()).toBe('operator profile claude');
    expect(await harness.profile()).toBe('claude');
    expect(await harness.command()).toBeNull();
  });

  it('given a rig running a town command, then its argv is shown as one line', async () => {
    const harness = await render({ kind: 'COMMAND', command: ['aider', '--yes', '{prompt}'], profile: null });

    expect(await harness.text()).toBe('town command aider --yes {prompt}');
    expect(await harness.command()).toBe('aider --yes {prompt}');
  });

  it('given a rig on the demo agent, then it says so', async () => {
    const harness = await render({ kind: 'DEMO', command: null, profile: null });

    expect(await harness.text()).toBe('built-in demo agent');
    expect(await harness.profile()).toBeNull();
  });
});
