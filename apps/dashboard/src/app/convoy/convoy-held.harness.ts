import { ComponentHarness } from '@angular/cdk/testing';

export class ConvoyHeldHarness extends ComponentHarness {
  static hostSelector = 'gt-convoy-held';

  private readonly reasonText = this.locatorFor('[data-testid=held-reason]');
  private readonly sinceTime = this.locatorFor('[data-testid=held-since]');

  async text(): Promise<string> {
    return (await (await this.host()).text()).replace(/\s+/g, ' ').trim();
  }

  async reason(): Promise<string> {
    return (await this.reasonText()).text();
  }

  async since(): Promise<string | null> {
    return (await this.sinceTime()).getAttribute('datetime');
  }
}
