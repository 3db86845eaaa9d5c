import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { provideRouter } from '@angular/router';
import { BeadDetailsComponent } from './bead-details.component';
import { BeadDetailsHarness } from './bead-details.harness';
import { attempt, beadDetail, beadEvent, beadLink } from './bead.fixtures';
import type { BeadDetail, BeadEvent } from './bead.model';

@Component({
  imports: [BeadDetailsComponent],
  template: `<gt-bead-details [bead]="bead()" [events]="events()" [busy]="busy()" [retryError]="retryError()" (retry)="retries = retries + 1" />`,
})
class Host {
  readonly bead = signal<BeadDetail>(beadDetail());
  readonly events = signal<BeadEvent[]>([]);
  readonly busy = signal(false);
  readonly retryError = signal<string | null>(null);
  retries = 0;
}

async function render(bead: BeadDetail, events: BeadEvent[] = []) {
  TestBed.configureTestingModule({ providers: [provideRouter([])] });
  const fixture = TestBed.createComponent(Host);
  fixture.componentInstance.bead.set(bead);
  fixture.componentInstance.events.set(events);
  const harness = await TestbedHarnessEnvironment.harnessForFixture(fixture, BeadDetailsHarness);
  return { fixture, host: fixture.componentInstance, harness };
}

describe('BeadDetailsComponent', () => {
  it('given a bead at work, then it shows its state, rig, branch with a copy button, assignee and body as written', async () => {
    const { harness } = await render(beadDetail({ body: 'Line one\n  indented <b>not html</b>' }));

    expect(await harness.status()).toBe('in progress');
    expect(await harness.statusColour()).toBe('IN_PROGRESS');
    expect(await harness.rig()).toEqual({ text: 'web', href: '/rigs/r-1' });
    expect(await harness.branch()).toBe('convoy/c-1/b-1-a1');
    expect(await harness.copyLabels()).toEqual(['Copy branch convoy/c-1/b-1-a1']);
    expect(await harness.assignee()).toBe('polecat-1');
    expect(await harness.body()).toBe('Line one\n  indented <b>not html</b>');
    expect(await harness.canRetry()).toBe(false);
  });

  it('given an OPEN bead held by a failed upstream, then it reads blocked, with the reason', async () => {
    const { harness } = await render(beadDetail({ status: 'OPEN', blocked: true, blockedReason: 'b-0 failed', assignee: null, branch: null }));
    expect(await harness.status()).toBe('blocked');
    expect(await harness.statusColour()).toBe('BLOCKED');
    expect(await harness.blockedReason()).toBe('b-0 failed');
    expect(await harness.assignee()).toBe('nobody');
    expect(await harness.branch()).toBeNull();
  });

  it('given dependencies on other rigs and convoys, then each links to its convoy with the drawer open on it', async () => {
    const { harness } = await render(
      beadDetail({
        blockedBy: [beadLink('up', { title: 'Schema', status: 'FAILED', convoyId: 'c-9', rigId: 'r-2', rig: { name: 'api' } })],
        blocks: [beadLink('down', { title: 'Docs', blocked: true })],
      }),
    );

    expect(await harness.dependencies('blocked-by')).toEqual([{ text: 'Schema, failed, rig api', href: '/convoys/c-9?bead=up' }]);
    expect(await harness.dependencies('blocks')).toEqual([{ text: 'Docs, blocked, rig web', href: '/convoys/c-1?bead=down' }]);
  });

  it('given several attempts, then the newest comes first and is the one open, with its output tail', async () => {
    const { harness } = await render(
      beadDetail({
        attempts: [
          attempt(1, { outcome: 'REWORK', endedAt: '2026-11-25T10:03:07Z', reason: 'checks failed: lint' }),
          attempt(2, { agentName: 'polecat-2', outcome: 'FAILED', exitCode: 3, endedAt: '2026-11-25T10:00:44Z', outputTail: 'npm ERR!\nexit 3' }),
        ],
      }),
    );

    const [newest, oldest] = await harness.attempts();
    expect(await newest.summary()).toBe('Attempt 2 · polecat-2 failed');
    expect(await newest.isOpen()).toBe(true);
    expect(await newest.facts()).toContain('Exit code3');
    expect(await newest.facts()).toContain('Duration42 s');
    expect(await newest.output()).toBe('npm ERR!\nexit 3');
    expect(await oldest.summary()).toBe('Attempt 1 · polecat-1 rework');
    expect(await oldest.isOpen()).toBe(false);
    expect(await oldest.facts()).toContain('Reasonchecks failed: lint');
    expect(await oldest.facts()).toContain('Duration3 min 05 s');
    expect(await oldest.output()).toBeNull();
  });

  it('given a running attempt, then its duration says it is still running', async () => {
    const { harness } = await render(beadDetail({ attempts: [attempt(1)] }));
    const [running] = await harness.attempts();
    expect(await running.facts()).toContain('Durationstill running');
  });

  it('given a history, then it lists every event oldest first with time, summary, type and actor', async () => {
    const { harness } = await render(beadDetail(), [
      beadEvent(3, 0, { summary: 'planned', type: 'ConvoyPlanned', actor: { id: 'tok-1', kind: 'user' } }),
      beadEvent(5, 0, { summary: 'dispatched to polecat-1', occurredAt: '2026-11-25T10:00:05Z' }),
    ]);
    const events = await harness.events();
    expect(events).toHaveLength(2);
    expect(events[0]).toContain('planned');
    expect(events[0]).toContain('ConvoyPlanned · user tok-1');
    expect(events[1]).toContain('dispatched to polecat-1');
    expect(events[1]).toContain('BeadDispatched · service dispatcher');
  });

  it('given a FAILED bead, when Retry is pressed, then it asks once, shows progress while busy and the refusal after', async () => {
    const { harness, host } = await render(beadDetail({ status: 'FAILED', lastReason: 'agent exited with 3' }));
    expect(await harness.retryLabel()).toEqual({ text: 'Retry bead', disabled: false });

    await harness.retry();
    expect(host.retries).toBe(1);

    host.busy.set(true);
    expect(await harness.retryLabel()).toEqual({ text: 'Retrying…', disabled: true });

    host.busy.set(false);
    host.retryError.set('the convoy is CANCELLED');
    expect(await harness.retryLabel()).toEqual({ text: 'Retry bead', disabled: false });
    expect(await harness.error()).toBe('the convoy is CANCELLED');
  });

  it('given a closed bead with its merge commit, then it offers no retry and the commit can be copied', async () => {
    const { harness } = await render(beadDetail({ status: 'CLOSED', mergeCommit: 'abc1234def', closedAt: '2026-11-25T11:00:00Z' }));
    expect(await harness.status()).toBe('closed');
    expect(await harness.canRetry()).toBe(false);
    expect(await harness.copyLabels()).toContain('Copy merge commit abc1234def');
  });
});
