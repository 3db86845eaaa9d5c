import { ComponentHarness } from '@angular/cdk/testing';

export class RigAgentHarness extends ComponentHarness {
  static hostSelector = 'gt-rig-agent';

  private readonly profileName = this.locatorForOptional('[data-testid=agent-profile]');
  private readonly commandLine = this.locatorForOptional('[data-testid=agent-command]');

  async text(): Promise<string> {
    return (await (await this.host()).text()).replace(/\s+/g, ' ').trim();
  }

  async profile(): Promise<string | null> {
    return (await this.profileName())?.text() ?? null;
  }

  async command(): Promise<string | null> {
    return (await this.commandLine())?.text() ?? null;
  }
}
