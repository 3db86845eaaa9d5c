import { ComponentHarness } from '@angular/cdk/testing';

export class PlanPasteHarness extends ComponentHarness {
  static hostSelector = 'gt-plan-paste';

  private readonly area = this.locatorFor('[data-testid=plan-text]');
  private readonly problemText = this.locatorForOptional('[data-testid=plan-text-error]');

  async text(): Promise<string> {
    return (await this.area()).getProperty<string>('value');
  }

  /** Pastes: the whole text arrives in one input event. */
  async paste(text: string): Promise<void> {
    const area = await this.area();
    await area.setInputValue(text);
    await area.dispatchEvent('input');
  }

  async label(): Promise<string> {
    const id = await (await this.area()).getProperty<string>('id');
    return (await this.locatorFor(`label[for="${id}"]`)()).text();
  }

  async placeholder(): Promise<string | null> {
    return (await this.area()).getAttribute('placeholder');
  }

  async problem(): Promise<string | null> {
    return (await (await this.problemText())?.text()) ?? null;
  }

  /** Whether the problem is what a screen reader hears as the textarea's description, and it is marked invalid. */
  async isProblemAttached(): Promise<boolean> {
    const [area, problem] = await Promise.all([this.area(), this.problemText()]);
    if (!problem) return false;
    const [describedBy, id, invalid] = await Promise.all([
      area.getAttribute('aria-describedby'),
      problem.getProperty<string>('id'),
      area.getAttribute('aria-invalid'),
    ]);
    return invalid === 'true' && (describedBy ?? '').split(' ').includes(id);
  }
}
