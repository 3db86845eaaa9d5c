import { ComponentHarness, TestKey } from '@angular/cdk/testing';
import { PlanFormHarness } from './plan-form.harness';
import { PlanPasteHarness } from './plan-paste.harness';
import { PlanPreviewHarness } from './plan-preview.harness';

export type PlanMode = 'form' | 'paste';

/** The new convoy page: its two ways of writing a plan, the preview and the create button. */
export class NewConvoyPageHarness extends ComponentHarness {
  static hostSelector = 'gt-new-convoy';

  private readonly heading = this.locatorFor('h1');
  private readonly createButton = this.locatorFor('[data-testid=create-convoy]');
  private readonly refusal = this.locatorForOptional('[data-testid=server-error]');
  private readonly unsentText = this.locatorForOptional('[data-testid=unsent]');
  private readonly modeNotice = this.locatorForOptional('[data-testid=mode-notice]');
  private readonly noRigs = this.locatorForOptional('[data-testid=no-rigs]');
  private readonly loadFailure = this.locatorForOptional('[data-testid=load-error]');
  private readonly status = this.locatorForOptional('p[role=status]');
  readonly form = this.locatorFor(PlanFormHarness);
  readonly paste = this.locatorFor(PlanPasteHarness);
  readonly preview = this.locatorFor(PlanPreviewHarness);
  readonly hasForm = this.locatorForOptional(PlanFormHarness);

  async title(): Promise<string> {
    return (await this.heading()).text();
  }

  private tab(mode: PlanMode) {
    return this.locatorFor(`[role=tab][data-testid=mode-${mode}]`)();
  }

  /** The selected tab, and whether its panel is the one shown. */
  async mode(): Promise<PlanMode | null> {
    for (const mode of ['form', 'paste'] as const) {
      if ((await (await this.tab(mode)).getAttribute('aria-selected')) === 'true') return mode;
    }
    return null;
  }

  async isPanelShown(mode: PlanMode): Promise<boolean> {
    const panel = await this.locatorFor(`[role=tabpanel][aria-labelledby=tab-${mode}]`)();
    return !(await panel.getProperty<boolean>('hidden'));
  }

  async switchTo(mode: PlanMode): Promise<void> {
    await (await this.tab(mode)).click();
  }

  /** Presses an arrow, Home or End on a tab. */
  async pressOnTab(mode: PlanMode, key: TestKey): Promise<void> {
    await (await this.tab(mode)).sendKeys(key);
  }

  async isTabFocused(mode: PlanMode): Promise<boolean> {
    return (await this.tab(mode)).isFocused();
  }

  async tabIndexes(): Promise<Record<PlanMode, number>> {
    return {
      form: await (await this.tab('form')).getProperty<number>('tabIndex'),
      paste: await (await this.tab('paste')).getProperty<number>('tabIndex'),
    };
  }

  async create(): Promise<void> {
    await (await this.createButton()).click();
  }

  async createLabel(): Promise<string> {
    return (await this.createButton()).text();
  }

  async serverError(): Promise<string | null> {
    return (await (await this.refusal())?.text()) ?? null;
  }

  async serverErrorRole(): Promise<string | null> {
    return (await (await this.refusal())?.getAttribute('role')) ?? null;
  }

  async unsent(): Promise<string | null> {
    return (await (await this.unsentText())?.text()) ?? null;
  }

  async notice(): Promise<string | null> {
    return (await (await this.modeNotice())?.text()) ?? null;
  }

  async noRigsText(): Promise<string | null> {
    return (await (await this.noRigs())?.text()) ?? null;
  }

  async loadError(): Promise<string | null> {
    return (await (await this.loadFailure())?.text()) ?? null;
  }

  async retryLoad(): Promise<void> {
    await (await this.locatorFor('[data-testid=load-error] button')()).click();
  }

  async statusText(): Promise<string | null> {
    return (await (await this.status())?.text()) ?? null;
  }
}
