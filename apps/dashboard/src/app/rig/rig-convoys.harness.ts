import { ComponentHarness } from '@angular/cdk/testing';

export class RigConvoyHarness extends ComponentHarness {
  static hostSelector = '[data-testid=rig-convoy]';

  private readonly titleLink = this.locatorFor('h3 a');
  private readonly statusChip = this.locatorFor('[data-testid=rig-convoy-status]');
  private readonly share = this.locatorFor('[data-testid=rig-share]');
  private readonly beadLinks = this.locatorForAll('[data-testid=rig-bead]');
  private readonly moreLink = this.locatorForOptional('a.more');
  private readonly bar = this.locatorFor('gt-progress-bar [role=img]');

  async title(): Promise<string> {
    return (await this.titleLink()).text();
  }

  async href(): Promise<string | null> {
    return (await this.titleLink()).getAttribute('href');
  }

  async status(): Promise<string> {
    return (await this.statusChip()).text();
  }

  async shareText(): Promise<string> {
    return (await this.share()).text();
  }

  async progressSummary(): Promise<string | null> {
    return (await this.bar()).getAttribute('aria-label');
  }

  async beads(): Promise<{ text: string; href: string | null }[]> {
    return Promise.all((await this.beadLinks()).map(async (a) => ({ text: await a.text(), href: await a.getAttribute('href') })));
  }

  async more(): Promise<string | null> {
    return (await this.moreLink())?.text() ?? null;
  }
}

export class RigConvoysHarness extends ComponentHarness {
  static hostSelector = 'gt-rig-convoys';

  readonly convoys = this.locatorForAll(RigConvoyHarness);

  async emptyMessage(): Promise<string | null> {
    return (await this.locatorForOptional('p.muted')())?.text() ?? null;
  }
}
