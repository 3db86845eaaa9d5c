import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { ConvoyHeldComponent } from './convoy-held.component';
import { ConvoyHeldHarness } from './convoy-held.harness';

@Component({ imports: [ConvoyHeldComponent], template: '<gt-convoy-held [reason]="reason()" [since]="since()" />' })
class Host {
  readonly reason = signal('');
  readonly since = signal('');
}

async function render(reason: string, since: string) {
  const fixture = TestBed.createComponent(Host);
  fixture.componentInstance.reason.set(reason);
  fixture.componentInstance.since.set(since);
  return TestbedHarnessEnvironment.harnessForFixture(fixture, ConvoyHeldHarness);
}

describe('ConvoyHeldComponent', () => {
  it('given a held convoy, then the banner says since when and why, and what it means for the page', async () => {
    const harness = await render('rejected by the read-model schema (SQLSTATE 23505)', '2026-12-01T10:00:00.000Z');

    expect(await harness.reason()).toBe('rejected by the read-model schema (SQLSTATE 23505)');
    expect(await harness.since()).toBe('2026-12-01T10:00:00.000Z');
    expect(await harness.text()).toBe(
      'Held since 2026-12-01 10:00:00 UTC: rejected by the read-model schema (SQLSTATE 23505). ' +
        'What this page shows stops there until the operator releases the hold; closing the convoy is still recorded.',
    );
  });
});
