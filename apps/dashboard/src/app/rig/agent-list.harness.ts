import { ComponentHarness } from '@angular/cdk/testing';

export class AgentHarness extends ComponentHarness {
  static hostSelector = '[data-testid=rig-agent]';

  private readonly nameText = this.locatorFor('.name');
  private readonly chip = this.locatorFor('.chip');
  private readonly beadLink = this.locatorForOptional('[data-testid=agent-bead]');
  private readonly heard = this.locatorFor('[data-testid=agent-heard]');

  async name(): Promise<string> {
    return (await this.nameText()).text();
  }

  async status(): Promise<string> {
    return (await this.chip()).text();
  }

  async bead(): Promise<{ title: string; href: string | null } | null> {
    const link = await this.beadLink();
    return link ? { title: await link.text(), href: await link.getAttribute('href') } : null;
  }

  async lastHeard(): Promise<string> {
    return (await this.heard()).text();
  }
}

export class AgentListHarness extends ComponentHarness {
  static hostSelector = 'gt-agent-list';

  readonly agents = this.locatorForAll(AgentHarness);

  async emptyMessage(): Promise<string | null> {
    return (await this.locatorForOptional('p.muted')())?.text() ?? null;
  }
}
