import { ComponentHarness } from '@angular/cdk/testing';

/** One wave of the preview: a column of task chips. */
export class PreviewWaveHarness extends ComponentHarness {
  static hostSelector = '[data-testid=preview-wave]';

  private readonly heading = this.locatorFor('h3');
  private readonly numbers = this.locatorForAll('[data-testid=preview-task] .num');
  private readonly titles = this.locatorForAll('[data-testid=preview-task] .title');
  private readonly rigs = this.locatorForAll('[data-testid=preview-task] .rig');

  async name(): Promise<string> {
    return (await this.heading()).text();
  }

  /** "#0 Schema (web)" for each chip, top to bottom. */
  async tasks(): Promise<string[]> {
    const [numbers, titles, rigs] = await Promise.all([this.numbers(), this.titles(), this.rigs()]);
    return Promise.all(
      numbers.map(async (n, i) => `${await n.text()} ${await titles[i].text()} (${(await rigs[i].text()).replace(/^on rig /, '')})`),
    );
  }
}

export class PlanPreviewHarness extends ComponentHarness {
  static hostSelector = 'gt-plan-preview';

  private readonly summaryText = this.locatorFor('[data-testid=preview-summary]');
  private readonly alert = this.locatorFor('[role=alert]');
  readonly waves = this.locatorForAll(PreviewWaveHarness);

  async summary(): Promise<string> {
    return (await this.summaryText()).text();
  }

  /** What the alert region says, '' when nothing is wrong. */
  async error(): Promise<string> {
    return (await this.alert()).text();
  }

  /** Each wave's chips, left to right. */
  async waveTasks(): Promise<string[][]> {
    return Promise.all((await this.waves()).map((wave) => wave.tasks()));
  }
}
