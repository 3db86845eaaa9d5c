import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { provideRouter } from '@angular/router';
import { MergeQueueComponent } from './merge-queue.component';
import { MergeQueueHarness } from './merge-queue.harness';
import { inReview, rigConvoy } from './rig.fixtures';
import type { MergeQueueEntry } from './rig.model';
import { mergeQueue } from './rig.selectors';

@Component({ imports: [MergeQueueComponent], template: '<gt-merge-queue [entries]="entries()" [now]="now" />' })
class Host {
  readonly entries = signal<MergeQueueEntry[]>([]);
  readonly now = Date.parse('2026-11-25T10:10:00Z');
}

async function render(entries: MergeQueueEntry[]) {
  TestBed.configureTestingModule({ providers: [provideRouter([])] });
  const fixture = TestBed.createComponent(Host);
  fixture.componentInstance.entries.set(entries);
  return TestbedHarnessEnvironment.harnessForFixture(fixture, MergeQueueHarness);
}

describe('MergeQueueComponent', () => {
  it('given beads waiting for review, then they are numbered from the next to merge, each linking to its bead', async () => {
    const harness = await render(
      mergeQueue(
        [
          rigConvoy('c-1', [inReview('later', '2026-11-25T10:08:00Z', { title: 'Add search', assignee: 'polecat-2' })], { title: 'Search' }),
          rigConvoy('c-2', [inReview('next', '2026-11-25T10:00:00Z', { title: 'Fix login' })], { title: 'Auth' }),
        ],
        'r-1',
      ),
    );

    const [first, second] = await harness.items();
    expect(await first.position()).toBe('1');
    expect(await first.label()).toBe('Next: Fix login');
    expect(await first.href()).toBe('/convoys/c-2?bead=next');
    expect(await first.detailText()).toBe('Auth · handed in 10 minutes ago');
    expect(await second.position()).toBe('2');
    expect(await second.label()).toBe('Number 2: Add search');
    expect(await second.detailText()).toBe('Search · handed in 2 minutes ago · by polecat-2');
  });

  it('given an empty queue, then it says nothing waits', async () => {
    const harness = await render([]);
    expect(await harness.items()).toEqual([]);
    expect(await harness.emptyMessage()).toBe('Nothing waits for review.');
  });
});
