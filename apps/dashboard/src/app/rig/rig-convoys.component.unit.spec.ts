import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { provideRouter } from '@angular/router';
import { BEADS_LISTED, RigConvoysComponent } from './rig-convoys.component';
import { RigConvoysHarness } from './rig-convoys.harness';
import { rigBead, rigConvoy } from './rig.fixtures';
import type { RigConvoyView } from './rig.model';
import { rigConvoys } from './rig.selectors';

@Component({ imports: [RigConvoysComponent], template: '<gt-rig-convoys [convoys]="convoys()" />' })
class Host {
  readonly convoys = signal<RigConvoyView[]>([]);
}

async function render(convoys: RigConvoyView[]) {
  TestBed.configureTestingModule({ providers: [provideRouter([])] });
  const fixture = TestBed.createComponent(Host);
  fixture.componentInstance.convoys.set(convoys);
  return TestbedHarnessEnvironment.harnessForFixture(fixture, RigConvoysHarness);
}

describe('RigConvoysComponent', () => {
  it('given a convoy across rigs, then it shows only this rig\'s beads, counted on their own, each opening the drawer on the convoy page', async () => {
    const harness = await render(
      rigConvoys(
        [
          rigConvoy(
            'c-1',
            [rigBead('b-1', { title: 'API route', rigId: 'r-2' }), rigBead('b-2', { title: 'Form', status: 'CLOSED' }), rigBead('b-3', { title: 'Page', status: 'FAILED' })],
            { title: 'Login', mergeMode: 'REVIEW_AND_MERGE' },
          ),
        ],
        'r-1',
      ),
    );

    const [convoy] = await harness.convoys();
    expect(await convoy.title()).toBe('Login');
    expect(await convoy.href()).toBe('/convoys/c-1');
    expect(await convoy.status()).toBe('active');
    expect(await convoy.shareText()).toBe('2 of 3 beads on this rig · merges bead by bead');
    expect(await convoy.progressSummary()).toBe('1 of 2 beads closed: 1 closed, 1 failed');
    expect(await convoy.beads()).toEqual([
      { text: 'Page, failed', href: '/convoys/c-1?bead=b-3' },
      { text: 'Form, closed', href: '/convoys/c-1?bead=b-2' },
    ]);
    expect(await convoy.more()).toBeNull();
  });

  it('given more beads on the rig than it lists, then it points to the convoy for the rest', async () => {
    const beads = Array.from({ length: BEADS_LISTED + 5 }, (_, i) => rigBead(`b-${i}`));
    const [convoy] = await (await render(rigConvoys([rigConvoy('c-1', beads, { title: 'Big' })], 'r-1'))).convoys();
    expect(await convoy.beads()).toHaveLength(BEADS_LISTED);
    expect(await convoy.more()).toBe('5 more beads of this rig in Big');
  });

  it('given no convoy, then it says the rig has none yet', async () => {
    const harness = await render([]);
    expect(await harness.emptyMessage()).toBe('No convoy has a bead on this rig yet.');
  });
});
