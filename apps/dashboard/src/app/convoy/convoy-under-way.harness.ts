import { ComponentHarness } from '@angular/cdk/testing';

export class ConvoyUnderWayHarness extends ComponentHarness {
  static hostSelector = 'gt-convoy-under-way';

  private readonly intro = this.locatorFor('p');
  private readonly merges = this.locatorForAll('[data-testid=merge-under-way]');
  private readonly landings = this.locatorForAll('[data-testid=landing-under-way]');

  async summary(): Promise<string> {
    return (await (await this.intro()).text()).replace(/\s+/g, ' ').trim();
  }

  /** One line per merge still pushed (or how it ended), in plan order. */
  async mergeLines(): Promise<string[]> {
    return Promise.all((await this.merges()).map((li) => li.text()));
  }

  async landingLines(): Promise<string[]> {
    return Promise.all((await this.landings()).map((li) => li.text()));
  }
}
