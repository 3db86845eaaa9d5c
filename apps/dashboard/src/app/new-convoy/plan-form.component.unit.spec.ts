import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import type { RigOption } from './new-convoy.store';
import { PlanFormComponent } from './plan-form.component';
import { PlanFormHarness } from './plan-form.harness';
import { emptyDraft, type PlanDraft } from './plan.draft';

const RIGS: RigOption[] = [
  { id: 'r-web', name: 'web', defaultBranch: 'main' },
  { id: 'r-fe', name: 'web-frontend', defaultBranch: 'trunk' },
];

@Component({ imports: [PlanFormComponent], template: '<gt-plan-form [(draft)]="draft" [rigs]="rigs" />' })
class Host {
  readonly draft = signal<PlanDraft>(emptyDraft('web'));
  readonly rigs = RIGS;
}

async function setup() {
  const fixture = TestBed.createComponent(Host);
  const form = await TestbedHarnessEnvironment.harnessForFixture(fixture, PlanFormHarness);
  return { form, draft: () => fixture.componentInstance.draft() };
}

describe('PlanFormComponent', () => {
  it('given a fresh form, then the title and default rig are required, the first rig is chosen, review-then-land is the merge mode and nothing is staged or parallel', async () => {
    const { form } = await setup();
    expect(await form.isTitleRequired()).toBe(true);
    expect(await form.isDefaultRigRequired()).toBe(true);
    expect(await form.defaultRig()).toBe('web');
    expect(await form.defaultRigChoices()).toEqual(['web (main)', 'web-frontend (trunk)']);
    expect(await form.mergeMode()).toBe('REVIEW_THEN_LAND');
    expect(await form.isStaged()).toBe(false);
    expect(await form.isParallel()).toBe(false);
    expect((await form.tasks()).length).toBe(1);
  });

  it('given the merge modes, then each says in one line what it does', async () => {
    const { form } = await setup();
    expect(await form.mergeModeText('REVIEW_THEN_LAND')).toEqual({
      label: 'Review, then land',
      help: 'Beads merge into a feature branch per rig; the convoy lands it on the default branch at the end.',
    });
    expect((await form.mergeModeText('REVIEW_AND_MERGE')).help).toMatch(/default branch as soon as it is reviewed/);
    expect(await form.parallelHelp()).toMatch(/^Beads with no dependencies may run in parallel/);
  });

  it('when the person fills in the convoy, then the draft follows every field', async () => {
    const { form, draft } = await setup();
    await form.setTitle('Login page');
    await form.setDefaultRig('web-frontend');
    await form.setMergeMode('REVIEW_AND_MERGE');
    await form.toggleStaged();
    await form.toggleParallel();
    const task = await form.task(0);
    await task.setTitle('Schema');
    await task.setBody('Add the users table.\nWith an index.');
    await task.setRig('web');

    expect(draft()).toEqual({
      title: 'Login page',
      rig: 'web-frontend',
      mergeMode: 'REVIEW_AND_MERGE',
      staged: true,
      parallel: true,
      tasks: [{ title: 'Schema', body: 'Add the users table.\nWith an index.', rig: 'web', dependsOn: [] }],
    });
    expect(await form.mergeMode()).toBe('REVIEW_AND_MERGE');
  });

  it('given a task, then its rig defaults to the default rig, named in the choice', async () => {
    const { form } = await setup();
    const task = await form.task(0);
    expect(await task.rig()).toBe('');
    expect(await task.rigChoices()).toEqual(['Default rig (web)', 'web', 'web-frontend']);
  });

  it('when a task is added, then its title has the focus and each task may depend on every other one, later ones too', async () => {
    const { form } = await setup();
    await (await form.task(0)).setTitle('Schema');
    await form.addTask();
    expect(await (await form.task(1)).isTitleFocused()).toBe(true);
    await (await form.task(1)).setTitle('API');
    await form.addTask();
    await (await form.task(2)).setTitle('UI');

    expect(await (await form.task(0)).dependencies()).toEqual([
      { label: '#1 API', checked: false },
      { label: '#2 UI', checked: false },
    ]);
    expect(await (await form.task(2)).dependencies()).toEqual([
      { label: '#0 Schema', checked: false },
      { label: '#1 API', checked: false },
    ]);
  });

  it('when dependencies are ticked both ways, then the draft holds the loop, so that it can be shown', async () => {
    const { form, draft } = await setup();
    await form.addTask();
    await (await form.task(1)).toggleDependency(0);
    await (await form.task(0)).toggleDependency(1);
    expect(draft().tasks.map((t) => t.dependsOn)).toEqual([[1], [0]]);
    expect(await (await form.task(1)).dependencies()).toEqual([{ label: '#0 (untitled)', checked: true }]);

    await (await form.task(0)).toggleDependency(1);
    expect(draft().tasks.map((t) => t.dependsOn)).toEqual([[], [0]]);
  });

  it('when a task in the middle is removed, then the others keep their dependencies under their new numbers and focus lands on the next task', async () => {
    const { form, draft } = await setup();
    for (const [i, title] of ['Schema', 'API', 'UI'].entries()) {
      if (i > 0) await form.addTask();
      await (await form.task(i)).setTitle(title);
    }
    await (await form.task(2)).toggleDependency(0);
    await (await form.task(2)).toggleDependency(1);

    await (await form.task(1)).remove();

    expect(draft().tasks.map((t) => [t.title, t.dependsOn])).toEqual([
      ['Schema', []],
      ['UI', [0]],
    ]);
    expect(await (await form.task(1)).legend()).toBe('Task #1');
    expect(await (await form.task(1)).isTitleFocused()).toBe(true);
    expect(await (await form.task(1)).dependencies()).toEqual([{ label: '#0 Schema', checked: true }]);
  });

  it('given a single task, then it cannot be removed and says how to make it wait for another', async () => {
    const { form } = await setup();
    const task = await form.task(0);
    expect(await task.canRemove()).toBe(false);
    expect(await task.dependencies()).toEqual([]);
    expect(await task.isTitleRequired()).toBe(true);
  });
});
