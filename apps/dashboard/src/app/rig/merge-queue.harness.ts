import { ComponentHarness } from '@angular/cdk/testing';

export class MergeQueueItemHarness extends ComponentHarness {
  static hostSelector = '[data-testid=merge-queue-item]';

  private readonly positionBadge = this.locatorFor('.position');
  private readonly link = this.locatorFor('a');
  private readonly detail = this.locatorFor('.small');
  private readonly batchLine = this.locatorForOptional('[data-testid=merge-batch]');

  async position(): Promise<string> {
    return (await this.positionBadge()).text();
  }

  /** The link's text as a screen reader reads it, place in the queue included. */
  async label(): Promise<string> {
    return (await this.link()).text();
  }

  async href(): Promise<string | null> {
    return (await this.link()).getAttribute('href');
  }

  async detailText(): Promise<string> {
    return (await this.detail()).text();
  }

  /** Its batch, short id, speculative marker and check runs; null while it waits for one. */
  async batchText(): Promise<string | null> {
    return (await this.batchLine())?.text() ?? null;
  }
}

export class MergeQueueHarness extends ComponentHarness {
  static hostSelector = 'gt-merge-queue';

  readonly items = this.locatorForAll(MergeQueueItemHarness);

  async emptyMessage(): Promise<string | null> {
    return (await this.locatorForOptional('p.muted')())?.text() ?? null;
  }
}
