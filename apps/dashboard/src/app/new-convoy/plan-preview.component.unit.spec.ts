import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { PlanPreviewComponent } from './plan-preview.component';
import { PlanPreviewHarness } from './plan-preview.harness';
import type { PlanPreview } from './plan.draft';

const LOGIN: PlanPreview = {
  taskCount: 4,
  error: null,
  waves: [
    { index: 0, tasks: [{ index: 0, title: 'Schema', rig: 'web' }] },
    {
      index: 1,
      tasks: [
        { index: 1, title: 'API', rig: 'web' },
        { index: 2, title: 'UI', rig: 'web-frontend' },
      ],
    },
    { index: 2, tasks: [{ index: 3, title: 'E2E tests', rig: 'web' }] },
  ],
};

@Component({ imports: [PlanPreviewComponent], template: '<gt-plan-preview [preview]="preview()" />' })
class Host {
  readonly preview = signal<PlanPreview>(LOGIN);
}

async function setup() {
  const fixture = TestBed.createComponent(Host);
  const preview = await TestbedHarnessEnvironment.harnessForFixture(fixture, PlanPreviewHarness);
  return { fixture, preview };
}

describe('PlanPreviewComponent', () => {
  it('given a plan in three waves, then it counts them and draws each wave as a column of numbered chips, in order', async () => {
    const { preview } = await setup();
    expect(await preview.summary()).toBe('4 tasks in 3 waves');
    expect(await Promise.all((await preview.waves()).map((w) => w.name()))).toEqual(['Wave 1', 'Wave 2', 'Wave 3']);
    expect(await preview.waveTasks()).toEqual([['#0 Schema (web)'], ['#1 API (web)', '#2 UI (web-frontend)'], ['#3 E2E tests (web)']]);
    expect(await preview.error()).toBe('');
  });

  it('given a cycle, then the error is in the alert, nothing is drawn and the count says why', async () => {
    const { fixture, preview } = await setup();
    fixture.componentInstance.preview.set({ taskCount: 2, waves: [], error: 'plan: tasks 0 → 1 → 0 form a cycle: "A" depends on "B", "B" depends on "A"' });
    expect(await preview.error()).toBe('plan: tasks 0 → 1 → 0 form a cycle: "A" depends on "B", "B" depends on "A"');
    expect(await preview.waves()).toEqual([]);
    expect(await preview.summary()).toBe('2 tasks; the waves show once the plan can run.');
  });

  it('given one task whose title is still empty, then it is drawn as untitled, in the singular, with the problem', async () => {
    const { fixture, preview } = await setup();
    fixture.componentInstance.preview.set({ taskCount: 1, waves: [{ index: 0, tasks: [{ index: 0, title: '', rig: 'web' }] }], error: 'plan: tasks[0].title must not be empty' });
    expect(await preview.summary()).toBe('1 task in 1 wave');
    expect(await preview.waveTasks()).toEqual([['#0 (untitled) (web)']]);
    expect(await preview.error()).toBe('plan: tasks[0].title must not be empty');
  });

  it('given text that cannot be read, then it says there is nothing to preview yet', async () => {
    const { fixture, preview } = await setup();
    fixture.componentInstance.preview.set({ taskCount: 0, waves: [], error: 'plan: the plan is empty' });
    expect(await preview.summary()).toBe('Nothing to preview until the plan can be read.');
  });
});
