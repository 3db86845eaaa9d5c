import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { provideRouter } from '@angular/router';
import { MergeQueueComponent } from './merge-queue.component';
import { MergeQueueHarness } from './merge-queue.harness';
import { queueEntry } from './rig.fixtures';
import type { MergeQueueEntry } from './rig.model';

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

const FIRST_BATCH = '3d9a4c2e-6b1f-4e8a-9c7d-5f2e1a0b3c4d';
const SECOND_BATCH = '7e8f9a0b-1c2d-4e3f-8a5b-6c7d8e9f0a1b';

describe('MergeQueueComponent', () => {
  it('given beads in a batch that went red, one in a batch built on it and one waiting, then each shows its place, what the refinery does with it since when, and its batch', async () => {
    const harness = await render([
      queueEntry('next', 1, {
        status: 'BISECTING',
        startedAt: '2026-11-25T10:05:00Z',
        batch: { id: FIRST_BATCH, speculativeOn: null, checkRuns: 3 },
        bead: { id: 'next', title: 'Fix login', convoyId: 'c-2', assignee: 'polecat-2', convoy: { title: 'Auth' } },
      }),
      queueEntry('on-top', 2, {
        status: 'CHECKING',
        startedAt: '2026-11-25T10:08:00Z',
        batch: { id: SECOND_BATCH, speculativeOn: FIRST_BATCH, checkRuns: 1 },
        bead: { id: 'on-top', title: 'Add search', convoyId: 'c-1', assignee: null, convoy: { title: 'Search' } },
      }),
      queueEntry('waiting', 3, { submittedAt: '2026-11-25T10:09:00Z' }),
    ]);

    const [first, second, third] = await harness.items();
    expect(await first.position()).toBe('1');
    expect(await first.label()).toBe('Next: Fix login');
    expect(await first.href()).toBe('/convoys/c-2?bead=next');
    expect(await first.detailText()).toBe('bisecting since 5 minutes ago · Auth · by polecat-2');
    expect(await first.batchText()).toBe('batch 3d9a4c2e · 3 check runs');
    expect(await second.label()).toBe('Number 2: Add search');
    expect(await second.detailText()).toBe('checking since 2 minutes ago · Search');
    expect(await second.batchText()).toBe('batch 7e8f9a0b · speculative · 1 check run');
    expect(await third.detailText()).toBe('waiting since 1 minute ago · convoy c-1');
    expect(await third.batchText()).toBeNull();
  });

  it('given an empty queue, then it says nothing waits', async () => {
    const harness = await render([]);
    expect(await harness.items()).toEqual([]);
    expect(await harness.emptyMessage()).toBe('Nothing waits for review.');
  });
});
