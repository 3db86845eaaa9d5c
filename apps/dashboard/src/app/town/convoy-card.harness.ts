import { ComponentHarness } from '@angular/cdk/testing';

export class ConvoyCardHarness extends ComponentHarness {
  static hostSelector = 'gt-convoy-card';

  private readonly titleLink = this.locatorFor('h3 a');
  private readonly statusChip = this.locatorFor('[data-testid=convoy-status]');
  private readonly branch = this.locatorForOptional('code.value');
  private readonly landed = this.locatorForOptional('[data-testid=landed-commit] code');
  private readonly progressBar = this.locatorFor('gt-progress-bar [role=img]');
  private readonly copyButtons = this.locatorForAll('gt-copy-button button');

  async title(): Promise<string> {
    return (await this.titleLink()).text();
  }

  async link(): Promise<string | null> {
    return (await this.titleLink()).getAttribute('href');
  }

  async status(): Promise<string> {
    return (await this.statusChip()).text();
  }

  async featureBranch(): Promise<string | null> {
    return (await this.branch())?.text() ?? null;
  }

  async landedCommit(): Promise<string | null> {
    return (await this.landed())?.text() ?? null;
  }

  /** The progress bar's words, as a screen reader hears them. */
  async progressSummary(): Promise<string | null> {
    return (await this.progressBar()).getAttribute('aria-label');
  }

  async copyLabels(): Promise<(string | null)[]> {
    return Promise.all((await this.copyButtons()).map((b) => b.getAttribute('aria-label')));
  }
}
