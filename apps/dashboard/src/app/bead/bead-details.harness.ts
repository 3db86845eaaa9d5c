import { ComponentHarness } from '@angular/cdk/testing';

export interface LinkedBead {
  text: string;
  href: string | null;
}

/** One attempt: a details element whose summary names the agent and the outcome. */
export class AttemptHarness extends ComponentHarness {
  static hostSelector = '[data-testid=bead-attempt]';

  private readonly summaryText = this.locatorFor('summary');
  private readonly factList = this.locatorFor('dl');
  private readonly outputTail = this.locatorForOptional('[data-testid=attempt-output]');

  async summary(): Promise<string> {
    return (await this.summaryText()).text();
  }

  async isOpen(): Promise<boolean> {
    return (await this.host()).getProperty<boolean>('open');
  }

  async facts(): Promise<string> {
    return (await this.factList()).text();
  }

  async output(): Promise<string | null> {
    return (await this.outputTail())?.text() ?? null;
  }
}

export class BeadDetailsHarness extends ComponentHarness {
  static hostSelector = 'gt-bead-details';

  private readonly statusChip = this.locatorFor('[data-testid=bead-status]');
  private readonly rigLink = this.locatorFor('[data-testid=bead-rig]');
  private readonly branchCode = this.locatorForOptional('[data-testid=bead-branch]');
  private readonly assigneeCell = this.locatorFor('[data-testid=bead-assignee]');
  private readonly bodyText = this.locatorForOptional('[data-testid=bead-body]');
  private readonly blockedReasonNote = this.locatorForOptional('[data-testid=blocked-reason]');
  private readonly retryButton = this.locatorForOptional('[data-testid=retry-bead]');
  private readonly alert = this.locatorForOptional('[role=alert]');
  private readonly attemptItems = this.locatorForAll(AttemptHarness);
  private readonly eventItems = this.locatorForAll('[data-testid=bead-event]');
  private readonly copyButtons = this.locatorForAll('gt-copy-button button');

  async status(): Promise<string> {
    return (await this.statusChip()).text();
  }

  /** The state the chip is coloured as (its st-<STATE> class). */
  async statusColour(): Promise<string | null> {
    const classes = (await (await this.statusChip()).getAttribute('class')) ?? '';
    return /\bst-(\w+)/.exec(classes)?.[1] ?? null;
  }

  async rig(): Promise<LinkedBead> {
    const link = await this.rigLink();
    return { text: await link.text(), href: await link.getAttribute('href') };
  }

  async branch(): Promise<string | null> {
    return (await this.branchCode())?.text() ?? null;
  }

  async assignee(): Promise<string> {
    return (await this.assigneeCell()).text();
  }

  /** The description exactly as laid out, line breaks included. */
  async body(): Promise<string | null> {
    const body = await this.bodyText();
    return body ? body.getProperty<string>('textContent') : null;
  }

  async blockedReason(): Promise<string | null> {
    return (await this.blockedReasonNote())?.text() ?? null;
  }

  async copyLabels(): Promise<(string | null)[]> {
    return Promise.all((await this.copyButtons()).map((b) => b.getAttribute('aria-label')));
  }

  async dependencies(which: 'blocked-by' | 'blocks'): Promise<LinkedBead[]> {
    const links = await this.locatorForAll(`[data-testid=${which}] a`)();
    return Promise.all(links.map(async (a) => ({ text: await a.text(), href: await a.getAttribute('href') })));
  }

  async canRetry(): Promise<boolean> {
    return (await this.retryButton()) !== null;
  }

  async retryLabel(): Promise<{ text: string; disabled: boolean } | null> {
    const button = await this.retryButton();
    return button ? { text: await button.text(), disabled: await button.getProperty<boolean>('disabled') } : null;
  }

  async retry(): Promise<void> {
    const button = await this.retryButton();
    if (!button) throw new Error('no retry button: the bead is not FAILED');
    await button.click();
  }

  async error(): Promise<string | null> {
    return (await this.alert())?.text() ?? null;
  }

  async attempts(): Promise<AttemptHarness[]> {
    return this.attemptItems();
  }

  async events(): Promise<string[]> {
    return Promise.all((await this.eventItems()).map((e) => e.text()));
  }
}
