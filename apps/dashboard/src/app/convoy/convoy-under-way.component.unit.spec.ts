import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { ConvoyUnderWayComponent, type LandingUnderWay } from './convoy-under-way.component';
import { ConvoyUnderWayHarness } from './convoy-under-way.harness';
import type { MergeUnderWay } from './convoy.store';

@Component({ imports: [ConvoyUnderWayComponent], template: '<gt-convoy-under-way [merges]="merges()" [landings]="landings()" />' })
class Host {
  readonly merges = signal<MergeUnderWay[]>([]);
  readonly landings = signal<LandingUnderWay[]>([]);
}

async function render(merges: MergeUnderWay[], landings: LandingUnderWay[] = []) {
  const fixture = TestBed.createComponent(Host);
  fixture.componentInstance.merges.set(merges);
  fixture.componentInstance.landings.set(landings);
  return TestbedHarnessEnvironment.harnessForFixture(fixture, ConvoyUnderWayHarness);
}

describe('ConvoyUnderWayComponent', () => {
  it('given a merge and a landing still being pushed after the close, then it says closing could not call them back and each still lands', async () => {
    const harness = await render([{ id: 'b-ui', title: 'UI', status: 'IN_REVIEW' }], [{ rigId: 'rig-web', rigName: 'web', status: 'PUSHING', commit: null, reason: null }]);

    expect(await harness.summary()).toBe(
      'Already being pushed when the convoy was closed, so closing could not call them back. ' +
        'What still lands shows as merged or landed in the history; nothing else of this convoy does.',
    );
    expect(await harness.mergeLines()).toEqual(['Merge of “UI”: still lands']);
    expect(await harness.landingLines()).toEqual(['Landing on web: still lands']);
  });

  it('given pushes whose outcome was recorded before the close answered, then each says how it ended', async () => {
    const harness = await render(
      [
        { id: 'b-ui', title: 'UI', status: 'CLOSED' },
        { id: 'b-docs', title: 'Docs', status: 'CANCELLED' },
      ],
      [
        { rigId: 'rig-web', rigName: 'web', status: 'LANDED', commit: 'abcdef1234567890abcdef', reason: null },
        { rigId: 'rig-api', rigName: 'api', status: 'FAILED', commit: null, reason: 'main moved while the landing was being pushed' },
      ],
    );

    expect(await harness.mergeLines()).toEqual(['Merge of “UI”: merged', 'Merge of “Docs”: not merged: its push failed']);
    expect(await harness.landingLines()).toEqual(['Landing on web: landed at abcdef123456', 'Landing on api: not landed: main moved while the landing was being pushed']);
  });

  it('given one merge only, then it speaks of it, not of them', async () => {
    const harness = await render([{ id: 'b-ui', title: 'UI', status: 'IN_REVIEW' }]);

    expect(await harness.summary()).toContain('closing could not call it back');
  });
});
