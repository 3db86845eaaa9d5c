import { ComponentHarness } from '@angular/cdk/testing';

export class SignInHarness extends ComponentHarness {
  static hostSelector = 'gt-sign-in';

  private readonly tokenInput = this.locatorFor('input#token');
  private readonly submitButton = this.locatorFor('button[type=submit]');
  private readonly errorText = this.locatorForOptional('[role=alert]');
  private readonly noticeText = this.locatorForOptional('.notice');

  async signIn(token: string): Promise<void> {
    const input = await this.tokenInput();
    await input.clear();
    await input.sendKeys(token);
    await (await this.submitButton()).click();
  }

  async error(): Promise<string | null> {
    return (await this.errorText())?.text() ?? null;
  }

  /** Why an earlier session ended, if it did. */
  async notice(): Promise<string | null> {
    return (await this.noticeText())?.text() ?? null;
  }

  async tokenMarkedInvalid(): Promise<boolean> {
    return (await (await this.tokenInput()).getAttribute('aria-invalid')) === 'true';
  }
}
