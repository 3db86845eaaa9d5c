import { ComponentHarness, TestKey, type TestElement } from '@angular/cdk/testing';

/** Template line breaks leave spaces before punctuation that no reader pronounces. */
function tidy(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/ ([,;:])/g, '$1').trim();
}

/** What a screen reader names the element: its text, hidden helper words included, decorations left out. */
async function nameOf(element: TestElement): Promise<string> {
  return tidy(await element.text({ exclude: '[aria-hidden=true]' }));
}

/** What the eye reads on it. */
async function visibleText(element: TestElement, exclude = ''): Promise<string> {
  return tidy(await element.text({ exclude: `.visually-hidden${exclude}` }));
}

export interface ChipView {
  id: string | null;
  status: string | null;
  blocked: boolean;
  name: string;
  /** The two lines on the chip: icon and title, then agent, state or why it is blocked. */
  lines: [string, string];
  dimmed: boolean;
  found: boolean;
  current: boolean;
}

export class TimelineHarness extends ComponentHarness {
  static hostSelector = 'gt-timeline';

  private readonly viewport = this.locatorFor('[data-testid=timeline]');
  private readonly searchBox = this.locatorFor('[data-testid=timeline-search]');
  private readonly matchStatus = this.locatorFor('[data-testid=timeline-matches]');
  private readonly zoomLevel = this.locatorFor('[data-testid=timeline-zoom]');
  private readonly chipElements = this.locatorForAll('[data-testid=bead-chip]');
  private readonly headers = this.locatorForAll('[data-testid=wave-header] button');
  private readonly folded = this.locatorForAll('[data-testid=collapsed-wave]');
  private readonly edgePaths = this.locatorForAll('path.edge');
  private readonly hotEdgePaths = this.locatorForAll('path.edge.hot');
  private readonly legendItems = this.locatorForAll('.legend li');

  async chips(): Promise<ChipView[]> {
    return Promise.all(
      (await this.chipElements()).map(async (chip) => ({
        id: await chip.getAttribute('data-bead-id'),
        status: await chip.getAttribute('data-status'),
        blocked: (await chip.getAttribute('data-blocked')) === 'true',
        name: await nameOf(chip),
        lines: [await visibleText(chip, ', .sub'), await visibleText(chip, ', .title')],
        dimmed: await chip.hasClass('dim'),
        found: await chip.hasClass('hit'),
        current: (await chip.getAttribute('aria-current')) === 'true',
      })),
    );
  }

  async chip(id: string): Promise<ChipView> {
    const chip = (await this.chips()).find((c) => c.id === id);
    if (!chip) throw new Error(`no chip for bead ${id}`);
    return chip;
  }

  async clickChip(id: string): Promise<void> {
    for (const chip of await this.chipElements()) {
      if ((await chip.getAttribute('data-bead-id')) === id) return chip.click();
    }
    throw new Error(`no chip for bead ${id}`);
  }

  async hoverChip(id: string): Promise<void> {
    for (const chip of await this.chipElements()) {
      if ((await chip.getAttribute('data-bead-id')) === id) return chip.hover();
    }
  }

  async search(text: string): Promise<void> {
    const box = await this.searchBox();
    await box.clear();
    if (text) await box.sendKeys(text);
  }

  async pressEnterInSearch(shift = false): Promise<void> {
    await (await this.searchBox()).sendKeys(shift ? { shift: true } : {}, TestKey.ENTER);
  }

  /** The words of the search box's <label>, as a screen reader names it. */
  async searchLabel(): Promise<string> {
    const labels = await (await this.searchBox()).getProperty<NodeListOf<HTMLLabelElement>>('labels');
    return [...labels].map((l) => l.textContent ?? '').join(' ').trim();
  }

  async matches(): Promise<string> {
    return (await this.matchStatus()).text();
  }

  async zoom(): Promise<string> {
    return (await this.zoomLevel()).text();
  }

  async pressKey(key: string): Promise<void> {
    await (await this.viewport()).sendKeys(key);
  }

  async clickButton(name: string): Promise<void> {
    const buttons = await this.locatorForAll('.toolbar button')();
    for (const button of buttons) {
      const label = (await button.getAttribute('aria-label')) ?? (await button.text()).trim();
      if (label === name) return button.click();
    }
    throw new Error(`no button "${name}"`);
  }

  async waveHeaders(): Promise<{ name: string; text: string; expanded: boolean }[]> {
    return Promise.all(
      (await this.headers()).map(async (h) => ({
        name: await nameOf(h),
        text: await visibleText(h),
        expanded: (await h.getAttribute('aria-expanded')) === 'true',
      })),
    );
  }

  async toggleWave(index: number): Promise<void> {
    await (await this.headers())[index].click();
  }

  async collapsedWaves(): Promise<string[]> {
    return Promise.all((await this.folded()).map(nameOf));
  }

  async edgeCount(): Promise<number> {
    return (await this.edgePaths()).length;
  }

  async highlightedEdgeCount(): Promise<number> {
    return (await this.hotEdgePaths()).length;
  }

  async legend(): Promise<string[]> {
    return Promise.all((await this.legendItems()).map(async (li) => (await li.text()).replace(/\s+/g, ' ').trim()));
  }

  async regionLabel(): Promise<string | null> {
    return (await this.viewport()).getAttribute('aria-label');
  }
}
