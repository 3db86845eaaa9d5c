import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { TimelineComponent } from './timeline.component';
import { TimelineHarness } from './timeline.harness';
import type { TimelineBead, TimelineEdge } from './timeline.layout';

function bead(id: string, title: string, extra: Partial<TimelineBead> = {}): TimelineBead {
  return { id, title, status: 'OPEN', blocked: false, blockedReason: null, assignee: null, rigId: 'web', ...extra };
}

const DIAMOND: TimelineBead[] = [
  bead('a', 'Schema', { status: 'CLOSED', assignee: 'Nux' }),
  bead('b', 'API', { status: 'IN_PROGRESS', assignee: 'polecat-1' }),
  bead('c', 'UI', { status: 'FAILED', assignee: 'polecat-2' }),
  bead('d', 'E2E tests', { blocked: true, blockedReason: 'upstream "UI" failed' }),
];
const DIAMOND_EDGES: TimelineEdge[] = [
  { beadId: 'b', dependsOnBeadId: 'a' },
  { beadId: 'c', dependsOnBeadId: 'a' },
  { beadId: 'd', dependsOnBeadId: 'b' },
  { beadId: 'd', dependsOnBeadId: 'c' },
];

@Component({
  imports: [TimelineComponent],
  template: `<gt-timeline [beads]="beads()" [edges]="edges()" [waves]="waves()" [selected]="selected()"
    (beadSelected)="picked.push($event)" (waveToggled)="toggled.push($event)" />`,
})
class Host {
  readonly beads = signal<TimelineBead[]>(DIAMOND);
  readonly edges = signal<TimelineEdge[]>(DIAMOND_EDGES);
  readonly waves = signal<string[][]>([['a'], ['b', 'c'], ['d']]);
  readonly selected = signal<string | null>(null);
  readonly picked: string[] = [];
  readonly toggled: number[] = [];
}

async function setup(configure: (host: Host) => void = () => undefined) {
  const fixture = TestBed.createComponent(Host);
  configure(fixture.componentInstance);
  await fixture.whenStable();
  const timeline = await TestbedHarnessEnvironment.loader(fixture).getHarness(TimelineHarness);
  return { fixture, host: fixture.componentInstance, timeline };
}

describe('TimelineComponent', () => {
  it('given a diamond, then each bead is a named button with its state and agent, and the four arrows are drawn', async () => {
    const { timeline } = await setup();

    const chips = await timeline.chips();
    expect(chips.map((c) => [c.id, c.status])).toEqual([
      ['a', 'CLOSED'],
      ['b', 'IN_PROGRESS'],
      ['c', 'FAILED'],
      ['d', 'OPEN'],
    ]);
    expect(chips[1].name).toBe('Bead “API”, in progress, agent polecat-1');
    expect(chips[1].lines).toEqual(['● API', 'polecat-1']);
    expect(await timeline.edgeCount()).toBe(4);
    expect(await timeline.waveHeaders()).toEqual([
      { name: 'Wave 1, 1 bead: 1 closed', text: '▾ Wave 1 · 1', expanded: true },
      { name: 'Wave 2, 2 beads: 1 in progress, 1 failed', text: '▾ Wave 2 · 2', expanded: true },
      { name: 'Wave 3, 1 bead: 1 blocked', text: '▾ Wave 3 · 1', expanded: true },
    ]);
    expect(await timeline.legend()).toEqual(['○open', '●in progress', '◐in review', '✓closed', '✕failed', '\u26A0\uFE0Eblocked', '⊘cancelled']);
  });

  it('given a blocked bead, then its chip says it is blocked and why, to the eye and to screen readers', async () => {
    const { timeline } = await setup();

    const chip = await timeline.chip('d');
    expect(chip.blocked).toBe(true);
    expect(chip.lines).toEqual(['\u26A0\uFE0E E2E tests', 'blocked: upstream "UI" failed']);
    expect(chip.name).toBe('Bead “E2E tests”, blocked: upstream "UI" failed');
  });

  it('when a chip is clicked, then the bead is selected; once selected, its arrows stand out', async () => {
    const { host, timeline, fixture } = await setup();

    await timeline.clickChip('b');
    expect(host.picked).toEqual(['b']);

    host.selected.set('b');
    await fixture.whenStable();
    expect((await timeline.chip('b')).current).toBe(true);
    expect(await timeline.highlightedEdgeCount()).toBe(2);
    expect(await timeline.edgeCount()).toBe(4);
  });

  it('when a chip is hovered, then the arrows into and out of it stand out', async () => {
    const { timeline } = await setup();

    await timeline.hoverChip('d');

    expect(await timeline.highlightedEdgeCount()).toBe(2);
  });

  it('when a bead changes live, then its chip follows', async () => {
    const { host, timeline, fixture } = await setup();

    host.beads.set(DIAMOND.map((b) => (b.id === 'b' ? { ...b, status: 'IN_REVIEW' } : b)));
    await fixture.whenStable();

    expect((await timeline.chip('b')).status).toBe('IN_REVIEW');
    expect((await timeline.chip('b')).name).toBe('Bead “API”, in review, agent polecat-1');
  });

  describe('search', () => {
    it('when searching, then matches stand out, the others are dimmed, and the count is said', async () => {
      const { timeline } = await setup((host) =>
        host.beads.set([...DIAMOND.slice(0, 3), bead('d', 'Schema docs', { assignee: null })]),
      );
      expect(await timeline.searchLabel()).toBe('Find');

      await timeline.search('schema');

      const chips = await timeline.chips();
      expect(chips.filter((c) => c.found).map((c) => c.id)).toEqual(['a', 'd']);
      expect(chips.filter((c) => c.dimmed).map((c) => c.id)).toEqual(['b', 'c']);
      expect(await timeline.matches()).toBe('2 matches');
    });

    it('when Enter is pressed, then the next match is selected, and Shift+Enter goes back', async () => {
      const { host, timeline } = await setup((h) => h.beads.set([...DIAMOND.slice(0, 3), bead('d', 'Schema docs')]));
      await timeline.search('schema');

      await timeline.pressEnterInSearch();
      expect(await timeline.matches()).toBe('Match 1 of 2');
      await timeline.pressEnterInSearch();
      expect(await timeline.matches()).toBe('Match 2 of 2');
      await timeline.pressEnterInSearch();
      await timeline.pressEnterInSearch(true);

      expect(host.picked).toEqual(['a', 'd', 'a', 'd']);
    });

    it('when nothing matches, then it says so and nothing is selected on Enter', async () => {
      const { host, timeline } = await setup();

      await timeline.search('zzz');
      await timeline.pressEnterInSearch();

      expect(await timeline.matches()).toBe('No match');
      expect(host.picked).toEqual([]);
    });

    it('when the match is in a collapsed wave, then Enter opens that wave to show it', async () => {
      const { host, timeline } = await setup();
      await timeline.toggleWave(1);
      expect(await timeline.collapsedWaves()).toEqual(['2 beads, wave 2, collapsed; expand']);

      await timeline.search('API');
      expect(await timeline.collapsedWaves()).toEqual(['2 beads, wave 2, collapsed, 1 found; expand']);
      await timeline.pressEnterInSearch();

      expect(await timeline.collapsedWaves()).toEqual([]);
      expect(host.picked).toEqual(['b']);
    });
  });

  describe('collapsing', () => {
    it('when a wave header is clicked, then its beads fold into one box and the arrows meet the box', async () => {
      const { host, timeline } = await setup();

      await timeline.toggleWave(1);

      expect((await timeline.chips()).map((c) => c.id)).toEqual(['a', 'd']);
      expect(await timeline.edgeCount()).toBe(2);
      expect((await timeline.waveHeaders())[1]).toEqual({ name: 'Wave 2, 2 beads: 1 in progress, 1 failed', text: '▸ Wave 2 · 2', expanded: false });
      expect(host.toggled).toEqual([1]);

      await timeline.toggleWave(1);
      expect(await timeline.chips()).toHaveLength(4);
    });

    it('when collapse all then expand all are pressed, then every wave folds and unfolds', async () => {
      const { timeline } = await setup();

      await timeline.clickButton('Collapse all');
      expect(await timeline.chips()).toEqual([]);
      expect(await timeline.collapsedWaves()).toHaveLength(3);

      await timeline.clickButton('Expand all');
      expect(await timeline.chips()).toHaveLength(4);
    });

    it('given a wave of 60 beads, then it starts collapsed; when one of its beads is selected, then it opens', async () => {
      const wide = Array.from({ length: 60 }, (_, i) => bead(`w${i}`, `Page ${i}`));
      const { host, timeline, fixture } = await setup((h) => {
        h.beads.set([bead('root', 'Root'), ...wide]);
        h.edges.set(wide.map((w) => ({ beadId: w.id, dependsOnBeadId: 'root' })));
        h.waves.set([['root'], wide.map((w) => w.id)]);
      });

      expect((await timeline.chips()).map((c) => c.id)).toEqual(['root']);
      expect(await timeline.collapsedWaves()).toEqual(['60 beads, wave 2, collapsed; expand']);

      host.selected.set('w42');
      await fixture.whenStable();
      expect(await timeline.chips()).toHaveLength(61);
    });
  });

  describe('zoom', () => {
    it('when the zoom buttons are pressed, then the scale steps up and down', async () => {
      const { timeline } = await setup();
      expect(await timeline.zoom()).toBe('100%');

      await timeline.clickButton('Zoom in');
      expect(await timeline.zoom()).toBe('125%');
      await timeline.clickButton('Zoom out');
      await timeline.clickButton('Zoom out');
      expect(await timeline.zoom()).toBe('80%');
    });

    it('when + and − are typed on the focused timeline, then it zooms; 0 fits the graph to the visible area', async () => {
      const { timeline, fixture } = await setup();
      const viewport = (fixture.nativeElement as HTMLElement).querySelector('[data-testid=timeline]') as HTMLElement;
      Object.defineProperty(viewport, 'clientWidth', { value: 306 });
      Object.defineProperty(viewport, 'clientHeight', { value: 600 });

      await timeline.pressKey('-');
      expect(await timeline.zoom()).toBe('80%');
      await timeline.pressKey('+');
      expect(await timeline.zoom()).toBe('100%');
      await timeline.pressKey('0');

      // Three columns of 208 px, two gaps of 56 and 12 px margins: 760 px into 304.
      expect(await timeline.zoom()).toBe('40%');
    });
  });

  it('given no bead, then it says so', async () => {
    const { fixture } = await setup((h) => {
      h.beads.set([]);
      h.edges.set([]);
      h.waves.set([]);
    });

    expect((fixture.nativeElement as HTMLElement).textContent).toContain('No bead in this convoy.');
  });
});
