import { ComponentHarness, type TestElement } from '@angular/cdk/testing';
import type { MergeModeName } from '@gastown/gateway-client/plan';

async function optionsOf(select: TestElement): Promise<{ value: string; text: string }[]> {
  const options = await select.getProperty<HTMLOptionsCollection>('options');
  return Array.from(options, (option) => ({ value: option.value, text: option.text.trim() }));
}

async function selectValue(select: TestElement, value: string): Promise<void> {
  const index = (await optionsOf(select)).findIndex((option) => option.value === value);
  if (index < 0) throw new Error(`no option "${value}"`);
  await select.selectOptions(index);
}

async function typeInto(field: TestElement, text: string): Promise<void> {
  await field.clear();
  if (text !== '') await field.sendKeys(text);
}

/** One task of the plan form. */
export class TaskFieldsHarness extends ComponentHarness {
  static hostSelector = 'gt-plan-form li.task';

  private readonly titleInput = this.locatorFor('[data-testid=task-title]');
  private readonly bodyArea = this.locatorFor('[data-testid=task-body]');
  private readonly rigSelect = this.locatorFor('[data-testid=task-rig]');
  private readonly dependencyLabels = this.locatorForAll('[data-testid=depends-on] label');
  private readonly dependencyBoxes = this.locatorForAll('[data-testid=depends-on] input[type=checkbox]');
  private readonly removeButton = this.locatorForOptional('[data-testid=remove-task]');

  async legend(): Promise<string> {
    return (await this.locatorFor('legend')()).text();
  }

  async title(): Promise<string> {
    return (await this.titleInput()).getProperty<string>('value');
  }

  async setTitle(text: string): Promise<void> {
    await typeInto(await this.titleInput(), text);
  }

  async isTitleFocused(): Promise<boolean> {
    return (await this.titleInput()).isFocused();
  }

  async isTitleRequired(): Promise<boolean> {
    return (await this.titleInput()).getProperty<boolean>('required');
  }

  async body(): Promise<string> {
    return (await this.bodyArea()).getProperty<string>('value');
  }

  async setBody(text: string): Promise<void> {
    const area = await this.bodyArea();
    await area.setInputValue(text);
    await area.dispatchEvent('input');
  }

  /** The rig's name, '' for the convoy's default rig. */
  async rig(): Promise<string> {
    return (await this.rigSelect()).getProperty<string>('value');
  }

  async rigChoices(): Promise<string[]> {
    return (await optionsOf(await this.rigSelect())).map((option) => option.text);
  }

  async setRig(name: string): Promise<void> {
    await selectValue(await this.rigSelect(), name);
  }

  /** The other tasks it may wait for, as they read ("#2 API"), and whether it does. */
  async dependencies(): Promise<{ label: string; checked: boolean }[]> {
    const [labels, boxes] = await Promise.all([this.dependencyLabels(), this.dependencyBoxes()]);
    return Promise.all(
      labels.map(async (label, i) => ({ label: (await label.text()).trim(), checked: await boxes[i].getProperty<boolean>('checked') })),
    );
  }

  /** Ticks or unticks "depends on #n". */
  async toggleDependency(on: number): Promise<void> {
    const labels = await this.dependencyLabels();
    for (const [i, label] of labels.entries()) {
      if ((await label.text()).trim().startsWith(`#${on} `) || (await label.text()).trim() === `#${on}`) {
        await (await this.dependencyBoxes())[i].click();
        return;
      }
    }
    throw new Error(`no dependency choice #${on}`);
  }

  async canRemove(): Promise<boolean> {
    return (await this.removeButton()) !== null;
  }

  async remove(): Promise<void> {
    const button = await this.removeButton();
    if (!button) throw new Error('this task cannot be removed');
    await button.click();
  }
}

/** The plan form as a person uses it: by its fields, task numbers and the other tasks' titles. */
export class PlanFormHarness extends ComponentHarness {
  static hostSelector = 'gt-plan-form';

  private readonly titleInput = this.locatorFor('[data-testid=convoy-title]');
  private readonly defaultRigSelect = this.locatorFor('[data-testid=default-rig]');
  private readonly addButton = this.locatorFor('[data-testid=add-task]');
  private readonly stagedBox = this.locatorFor('[data-testid=staged]');
  private readonly parallelBox = this.locatorFor('[data-testid=parallel]');
  readonly tasks = this.locatorForAll(TaskFieldsHarness);

  async task(index: number): Promise<TaskFieldsHarness> {
    const task = (await this.tasks())[index];
    if (!task) throw new Error(`no task #${index}`);
    return task;
  }

  async title(): Promise<string> {
    return (await this.titleInput()).getProperty<string>('value');
  }

  async setTitle(text: string): Promise<void> {
    await typeInto(await this.titleInput(), text);
  }

  async isTitleRequired(): Promise<boolean> {
    return (await this.titleInput()).getProperty<boolean>('required');
  }

  async isDefaultRigRequired(): Promise<boolean> {
    return (await this.defaultRigSelect()).getProperty<boolean>('required');
  }

  async defaultRig(): Promise<string> {
    return (await this.defaultRigSelect()).getProperty<string>('value');
  }

  async defaultRigChoices(): Promise<string[]> {
    return (await optionsOf(await this.defaultRigSelect())).map((option) => option.text);
  }

  async setDefaultRig(name: string): Promise<void> {
    await selectValue(await this.defaultRigSelect(), name);
  }

  async mergeMode(): Promise<MergeModeName | null> {
    for (const value of ['REVIEW_THEN_LAND', 'REVIEW_AND_MERGE'] as const) {
      if (await (await this.radio(value)).getProperty<boolean>('checked')) return value;
    }
    return null;
  }

  async setMergeMode(value: MergeModeName): Promise<void> {
    await (await this.radio(value)).click();
  }

  /** The label and the one-line explanation a merge mode radio is described by. */
  async mergeModeText(value: MergeModeName): Promise<{ label: string; help: string }> {
    const radio = await this.radio(value);
    const [id, help] = await Promise.all([radio.getProperty<string>('id'), radio.getAttribute('aria-describedby')]);
    const [label, description] = await Promise.all([this.locatorFor(`label[for="${id}"]`)(), this.locatorFor(`[id="${help}"]`)()]);
    return { label: await label.text(), help: await description.text() };
  }

  async isStaged(): Promise<boolean> {
    return (await this.stagedBox()).getProperty<boolean>('checked');
  }

  async toggleStaged(): Promise<void> {
    await (await this.stagedBox()).click();
  }

  async isParallel(): Promise<boolean> {
    return (await this.parallelBox()).getProperty<boolean>('checked');
  }

  async toggleParallel(): Promise<void> {
    await (await this.parallelBox()).click();
  }

  async parallelHelp(): Promise<string> {
    const help = await (await this.parallelBox()).getAttribute('aria-describedby');
    return (await this.locatorFor(`[id="${help}"]`)()).text();
  }

  async addTask(): Promise<void> {
    await (await this.addButton()).click();
  }

  private radio(value: MergeModeName): Promise<TestElement> {
    return this.locatorFor(`input[type=radio][value=${value}]`)();
  }
}
