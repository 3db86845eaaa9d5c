import { ComponentHarness, TestKey } from '@angular/cdk/testing';

export class CloseConvoyDialogHarness extends ComponentHarness {
  static hostSelector = 'gt-close-convoy-dialog';

  private readonly dialog = this.locatorForOptional('[role=dialog]');
  private readonly heading = this.locatorFor('[role=dialog] h2');
  private readonly lines = this.locatorForAll('[data-testid=close-consequences] li');
  private readonly reasonBox = this.locatorFor('[data-testid=close-reason]');
  private readonly confirmButton = this.locatorFor('[data-testid=confirm-close]');
  private readonly keepButton = this.locatorFor('button:not([data-testid=confirm-close])');
  private readonly alert = this.locatorForOptional('[role=alert]');

  async isOpen(): Promise<boolean> {
    return (await this.dialog()) !== null;
  }

  async title(): Promise<string> {
    return (await this.heading()).text();
  }

  /** What the dialog says closing will do, one sentence per line. */
  async consequences(): Promise<string[]> {
    return Promise.all((await this.lines()).map((li) => li.text()));
  }

  async reasonLabel(): Promise<string> {
    const labels = await (await this.reasonBox()).getProperty<NodeListOf<HTMLLabelElement>>('labels');
    return [...labels].map((l) => (l.textContent ?? '').replace(/\s+/g, ' ').trim()).join(' ');
  }

  async reasonHasFocus(): Promise<boolean> {
    return (await this.reasonBox()).isFocused();
  }

  async confirmHasFocus(): Promise<boolean> {
    return (await this.confirmButton()).isFocused();
  }

  async typeReason(text: string): Promise<void> {
    await (await this.reasonBox()).sendKeys(text);
  }

  async confirmLabel(): Promise<string> {
    return (await this.confirmButton()).text();
  }

  async canConfirm(): Promise<boolean> {
    return !(await (await this.confirmButton()).getProperty<boolean>('disabled'));
  }

  async confirm(): Promise<void> {
    await (await this.confirmButton()).click();
  }

  async keep(): Promise<void> {
    await (await this.keepButton()).click();
  }

  async pressEscape(): Promise<void> {
    await (await this.reasonBox()).sendKeys(TestKey.ESCAPE);
  }

  /** Tab from the last control, Shift+Tab from the first: where focus lands tells the trap holds. */
  async tabFromConfirm(): Promise<void> {
    const confirm = await this.confirmButton();
    await confirm.focus();
    await confirm.sendKeys(TestKey.TAB);
  }

  async shiftTabFromReason(): Promise<void> {
    const reason = await this.reasonBox();
    await reason.focus();
    await reason.sendKeys({ shift: true }, TestKey.TAB);
  }

  async error(): Promise<string | null> {
    return (await this.alert())?.text() ?? null;
  }
}
