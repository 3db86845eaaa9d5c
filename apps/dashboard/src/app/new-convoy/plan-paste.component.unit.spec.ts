import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { Component, computed, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { PlanPasteComponent } from './plan-paste.component';
import { PlanPasteHarness } from './plan-paste.harness';
import { textProblem } from './plan.draft';

@Component({ imports: [PlanPasteComponent], template: '<gt-plan-paste [(text)]="text" [problem]="problem()" />' })
class Host {
  readonly text = signal('');
  readonly problem = computed(() => (this.text() === '' ? null : textProblem(this.text())));
}

async function setup() {
  const fixture = TestBed.createComponent(Host);
  const paste = await TestbedHarnessEnvironment.harnessForFixture(fixture, PlanPasteHarness);
  return { fixture, paste };
}

describe('PlanPasteComponent', () => {
  it('given an empty text, then it is labelled and shows an example plan in the format of gt sling-batch', async () => {
    const { paste } = await setup();
    expect(await paste.label()).toBe('Plan (YAML or JSON)');
    expect(await paste.placeholder()).toMatch(/^title: Login page\nrig: web/);
    expect(await paste.placeholder()).toContain('depends_on: [API, UI]');
    expect(await paste.problem()).toBeNull();
    expect(await paste.isProblemAttached()).toBe(false);
  });

  it('when a plan with a misspelt field is pasted, then the problem under it names the task and field, attached to the textarea', async () => {
    const { fixture, paste } = await setup();
    await paste.paste('title: t\nrig: web\ntasks:\n  - title: A\n    dependson: [1]\n');
    expect(fixture.componentInstance.text()).toBe('title: t\nrig: web\ntasks:\n  - title: A\n    dependson: [1]\n');
    expect(await paste.problem()).toBe('plan: tasks[0]: unknown field "dependson" (known fields: id, title, body, rig, depends_on)');
    expect(await paste.isProblemAttached()).toBe(true);
  });

  it('when the plan is fixed, then the problem goes', async () => {
    const { paste } = await setup();
    await paste.paste('{"title": "t", "rig": "web", "tasks": [{"title": "A"}');
    expect(await paste.problem()).toMatch(/^plan: .*at line 1, column \d+/s);
    await paste.paste('{"title": "t", "rig": "web", "tasks": [{"title": "A"}]}');
    expect(await paste.problem()).toBeNull();
  });

  it('given text set from outside (the form as YAML), then the textarea shows it', async () => {
    const { fixture, paste } = await setup();
    fixture.componentInstance.text.set('title: From the form\n');
    expect(await paste.text()).toBe('title: From the form\n');
  });
});
