import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  Injector,
  afterNextRender,
  computed,
  inject,
  input,
  output,
  signal,
  viewChild,
} from '@angular/core';
import { STATE_LABEL, type BeadState } from '../gateway/gateway.types';
import {
  defaultCollapsed,
  layoutTimeline,
  planTimeline,
  type EdgePath,
  type PositionedBead,
  type TimelineBead,
  type TimelineEdge,
  type WaveHeader,
} from './timeline.layout';

/** A shape beside the colour, so states read without telling colours apart. */
const ICON: Record<BeadState, string> = {
  CLOSED: '✓',
  IN_REVIEW: '◐',
  IN_PROGRESS: '●',
  FAILED: '✕',
  // U+FE0E asks for the text glyph: fonts without colour emoji have one, and it takes the chip's colour.
  BLOCKED: '\u26A0\uFE0E',
  OPEN: '○',
  CANCELLED: '⊘',
};

const LEGEND: readonly BeadState[] = ['OPEN', 'IN_PROGRESS', 'IN_REVIEW', 'CLOSED', 'FAILED', 'BLOCKED', 'CANCELLED'];
const ZOOMS = [0.25, 0.35, 0.5, 0.65, 0.8, 1, 1.25, 1.5];

let instances = 0;

/**
 * A convoy's DAG: beads in topological waves from left to right, an arrow from each bead to
 * the beads it unblocks. Chips are buttons; search, zoom and collapsible waves keep a convoy of
 * hundreds of beads readable.
 */
@Component({
  selector: 'gt-timeline',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="toolbar">
      <label class="search">
        <span>Find</span>
        <input #searchBox type="search" data-testid="timeline-search" placeholder="title, agent, state…" [value]="search()"
          (input)="onSearch(searchBox.value)" (keydown.enter)="jump($event, 1)" (keydown.shift.enter)="jump($event, -1)" />
      </label>
      <span class="muted count" role="status" data-testid="timeline-matches">{{ matchText() }}</span>
      <span class="group" role="group" aria-label="Zoom">
        <button type="button" aria-label="Zoom out" title="Zoom out (−)" (click)="zoomBy(-1)" [disabled]="zoom() <= zooms[0]">−</button>
        <span class="level" aria-live="polite" data-testid="timeline-zoom">{{ percent() }}%</span>
        <button type="button" aria-label="Zoom in" title="Zoom in (+)" (click)="zoomBy(1)" [disabled]="zoom() >= zooms[zooms.length - 1]">+</button>
        <button type="button" title="Fit the whole graph (0)" (click)="fit()">Fit</button>
      </span>
      <span class="group">
        <button type="button" (click)="setAll(true)">Collapse all</button>
        <button type="button" (click)="setAll(false)">Expand all</button>
      </span>
    </div>
    <ul class="legend" aria-label="States">
      @for (state of legend; track state) {
        <li><span class="sw st-{{ state }}" aria-hidden="true">{{ icon[state] }}</span>{{ label[state] }}</li>
      }
    </ul>
    <div #viewport class="viewport" tabindex="0" role="region" data-testid="timeline" (keydown)="onKey($event)"
      [attr.aria-label]="'Timeline of ' + beads().length + ' beads in ' + layout().waves.length + ' waves; + and − zoom, 0 fits'">
      @if (beads().length === 0) {
        <p class="muted empty">No bead in this convoy.</p>
      }
      <div class="canvas" [style.width.px]="layout().width * zoom()" [style.height.px]="layout().height * zoom()">
        <div class="stage" [style.width.px]="layout().width" [style.height.px]="layout().height" [style.transform]="'scale(' + zoom() + ')'">
          <svg [attr.width]="layout().width" [attr.height]="layout().height" aria-hidden="true">
            <defs>
              <marker [attr.id]="uid + '-a'" viewBox="0 0 8 8" refX="8" refY="4" markerUnits="userSpaceOnUse" markerWidth="8" markerHeight="8" orient="auto">
                <path d="M0,0 L8,4 L0,8 z" class="head" />
              </marker>
              <marker [attr.id]="uid + '-h'" viewBox="0 0 8 8" refX="8" refY="4" markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" orient="auto">
                <path d="M0,0 L8,4 L0,8 z" class="head hot" />
              </marker>
            </defs>
            @for (edge of edgeGroups().faint; track edge.key) {
              <path class="edge faint" data-testid="edge" [attr.d]="edge.d" [attr.marker-end]="'url(#' + uid + '-a)'" />
            }
            @for (edge of edgeGroups().cold; track edge.key) {
              <path class="edge" data-testid="edge" [attr.d]="edge.d" [attr.marker-end]="'url(#' + uid + '-a)'" />
            }
            @for (edge of edgeGroups().hot; track edge.key) {
              <path class="edge hot" data-testid="edge" [attr.d]="edge.d" [attr.marker-end]="'url(#' + uid + '-h)'" />
            }
          </svg>
          @for (wave of layout().waves; track wave.index) {
            <div class="wave" data-testid="wave-header" [style.left.px]="wave.x" [style.top.px]="wave.y" [style.width.px]="wave.width" [style.height.px]="wave.height">
              <button type="button" class="toggle" [attr.aria-expanded]="!wave.collapsed" (click)="toggle(wave.index)">
                <span aria-hidden="true">{{ wave.collapsed ? '▸' : '▾' }} </span>Wave {{ wave.index + 1 }}<span class="muted"><span aria-hidden="true"> · </span><span class="visually-hidden">, </span>{{ wave.count }}</span>
                <span class="visually-hidden">{{ wave.count === 1 ? ' bead' : ' beads' }}: {{ tally(wave) }}</span>
              </button>
              <span class="tally" aria-hidden="true">
                @for (state of legend; track state) {
                  @if (wave.counts[state]; as n) {
                    <span class="sw st-{{ state }}" [attr.title]="n + ' ' + label[state]">{{ icon[state] }}{{ n }}</span>
                  }
                }
              </span>
            </div>
          }
          @for (node of layout().nodes; track node.key) {
            <button type="button" class="bead st-{{ node.state }}" data-testid="bead-chip"
              [attr.data-bead-id]="node.key" [attr.data-status]="node.bead.status" [attr.data-blocked]="node.bead.blocked || null"
              [class.hit]="node.match" [class.dim]="searching() && !node.match" [class.sel]="node.key === selected()"
              [attr.aria-current]="node.key === selected() || null" [attr.title]="chipTitle(node)"
              [style.left.px]="node.x" [style.top.px]="node.y" [style.width.px]="node.width" [style.height.px]="node.height"
              (click)="beadSelected.emit(node.key)" (mouseenter)="hovered.set(node.key)" (mouseleave)="hovered.set(null)"
              (focus)="hovered.set(node.key)" (blur)="hovered.set(null)">
              <span class="title"><span aria-hidden="true">{{ icon[node.state] }} </span><span class="visually-hidden">Bead “</span>{{ node.bead.title }}<span class="visually-hidden">”, </span></span>
              <span class="sub">
                @if (node.bead.blocked) {
                  blocked: {{ node.bead.blockedReason ?? 'upstream failed' }}
                } @else if (node.bead.assignee) {
                  <span class="visually-hidden">{{ label[node.state] }}, agent </span>{{ node.bead.assignee }}
                } @else {
                  {{ label[node.state] }}
                }
                @if (node.bead.rigName; as rig) {
                  <span aria-hidden="true"> · </span><span class="visually-hidden">, rig </span>{{ rig }}
                }
              </span>
            </button>
          }
          @for (box of layout().collapsedWaves; track box.key) {
            <button type="button" class="folded" data-testid="collapsed-wave" [class.hit]="box.matches > 0"
              [style.left.px]="box.x" [style.top.px]="box.y" [style.width.px]="box.width" [style.height.px]="box.height" (click)="toggle(box.wave)">
              <strong>{{ box.count }} beads</strong>
              <span>
                <span class="visually-hidden">, wave {{ box.wave + 1 }}, </span>collapsed{{ box.matches > 0 ? ', ' + box.matches + ' found' : '' }}<span
                  aria-hidden="true"> · </span><span class="visually-hidden">; </span>expand
              </span>
            </button>
          }
        </div>
      </div>
    </div>
  `,
  styles: `
    :host { display: block; min-width: 0; }
    .toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 0.9rem; margin-bottom: 0.5rem; }
    .search { display: inline-flex; align-items: center; gap: 0.4rem; font-weight: 600; }
    .search input { width: min(15rem, 60vw); font-weight: 400; }
    .group { display: inline-flex; align-items: center; gap: 0.3rem; }
    .group button { padding: 0.3rem 0.6rem; min-width: 2.2rem; justify-content: center; }
    .level { min-width: 3.2rem; text-align: center; font-variant-numeric: tabular-nums; }
    .count { min-width: 6rem; font-size: 0.85rem; }
    .legend { display: flex; flex-wrap: wrap; gap: 0.25rem 0.8rem; list-style: none; margin: 0 0 0.5rem; padding: 0; font-size: 0.8rem; color: var(--muted); }
    .legend li { display: inline-flex; align-items: center; gap: 0.3rem; }
    .sw { display: inline-flex; align-items: center; justify-content: center; min-width: 1.2rem; border-radius: 4px; padding: 0 0.2rem; font-size: 0.72rem; font-weight: 600; }
    .viewport { position: relative; overflow: auto; max-height: 72vh; min-height: 8rem; border: 1px solid var(--border); border-radius: 8px; background: var(--bg); overscroll-behavior: contain; }
    .empty { padding: 1rem; margin: 0; }
    .stage { position: relative; transform-origin: 0 0; }
    svg { position: absolute; inset: 0; overflow: visible; }
    .edge { fill: none; stroke: var(--muted); stroke-opacity: 0.55; stroke-width: 1.4; }
    .edge.faint { stroke-opacity: 0.22; }
    .edge.hot { stroke: var(--accent); stroke-opacity: 1; stroke-width: 2.6; }
    .head { fill: var(--muted); }
    .head.hot { fill: var(--accent); }
    .wave { position: absolute; display: flex; flex-direction: column; gap: 0.15rem; }
    .toggle { padding: 0.15rem 0.45rem; font-weight: 600; font-size: 0.85rem; align-self: flex-start; }
    .tally { display: flex; flex-wrap: wrap; gap: 0.2rem; overflow: hidden; max-height: 1.3rem; }
    .bead, .folded {
      position: absolute; display: flex; flex-direction: column; align-items: stretch; justify-content: center; gap: 0.05rem;
      padding: 0.2rem 0.5rem; border-radius: 8px; border: 1px solid var(--border); border-left-width: 5px; text-align: left; font-size: 0.82rem; line-height: 1.25;
    }
    .bead > span { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .title { font-weight: 600; }
    .sub { font-size: 0.76rem; }
    .bead.st-CLOSED { border-left-color: var(--st-closed); }
    .bead.st-IN_REVIEW { border-left-color: var(--st-in-review); }
    .bead.st-IN_PROGRESS { border-left-color: var(--st-in-progress); }
    .bead.st-FAILED { border-left-color: var(--st-failed); }
    .bead.st-BLOCKED { border-left-color: var(--st-blocked); border-style: dashed; border-left-style: solid; }
    .bead.st-OPEN { border-left-color: var(--st-open); }
    .bead.st-CANCELLED { border-left-color: var(--st-cancelled); }
    .bead.st-CANCELLED .title { text-decoration: line-through; }
    .bead.dim { background: var(--surface-2); color: var(--muted); border-left-color: var(--border); }
    .hit { box-shadow: 0 0 0 3px var(--accent); }
    .sel { box-shadow: 0 0 0 3px var(--focus); }
    .folded { background: var(--surface-2); color: var(--text); border-style: dashed; border-left-style: solid; border-left-color: var(--muted); gap: 0.2rem; }
    .folded span { font-size: 0.76rem; color: var(--muted); }
    @media (max-width: 600px) { .count { min-width: 0; } }
  `,
})
export class TimelineComponent {
  readonly beads = input.required<readonly TimelineBead[]>();
  readonly edges = input.required<readonly TimelineEdge[]>();
  /** The server's waves; computed from the edges when absent or out of step. */
  readonly waves = input<readonly (readonly string[])[]>([]);
  readonly selected = input<string | null>(null);
  readonly beadSelected = output<string>();
  readonly waveToggled = output<number>();

  protected readonly uid = `gt-timeline-${++instances}`;
  protected readonly legend = LEGEND;
  protected readonly label = STATE_LABEL;
  protected readonly icon = ICON;
  protected readonly zooms = ZOOMS;
  protected readonly search = signal('');
  protected readonly zoom = signal(1);
  protected readonly hovered = signal<string | null>(null);
  /** The reader's own choices by wave index; the other waves follow defaultCollapsed. */
  private readonly chosen = signal<ReadonlyMap<number, boolean>>(new Map());
  private readonly cursor = signal(-1);
  private readonly viewport = viewChild.required<ElementRef<HTMLElement>>('viewport');
  private readonly injector = inject(Injector);

  private readonly plan = computed(() => planTimeline(this.beads(), this.edges(), this.waves()));

  private readonly collapsed = computed(() => {
    const plan = this.plan();
    const chosen = this.chosen();
    // A bead opened from a link must be visible, even in a wave that would start collapsed.
    const selectedWave = plan.waveOf.get(this.selected() ?? '');
    const defaults = defaultCollapsed(plan);
    const collapsed = new Set<number>();
    plan.waves.forEach((_, index) => {
      if (chosen.get(index) ?? (defaults.has(index) && index !== selectedWave)) collapsed.add(index);
    });
    return collapsed;
  });

  protected readonly layout = computed(() => layoutTimeline(this.plan(), { collapsed: this.collapsed(), search: this.search() }));
  protected readonly searching = computed(() => this.search().trim() !== '');
  protected readonly percent = computed(() => Math.round(this.zoom() * 100));

  /**
   * Arrows of the selected or hovered bead are drawn last, on top; arrows that fan into or out
   * of a collapsed wave are drawn faint, or a wide wave's fan would hide everything around it.
   */
  protected readonly edgeGroups = computed(() => {
    const layout = this.layout();
    const focus = new Set([this.selected(), this.hovered()].filter((key): key is string => key !== null));
    const folded = new Set(layout.collapsedWaves.map((w) => w.key));
    const groups = { hot: [] as EdgePath[], cold: [] as EdgePath[], faint: [] as EdgePath[] };
    for (const edge of layout.edges) {
      const group = focus.has(edge.from) || focus.has(edge.to) ? 'hot' : folded.has(edge.from) || folded.has(edge.to) ? 'faint' : 'cold';
      groups[group].push(edge);
    }
    return groups;
  });

  protected readonly matchText = computed(() => {
    if (!this.searching()) return '';
    const count = this.layout().matches.length;
    if (count === 0) return 'No match';
    const at = this.cursor();
    return at >= 0 && at < count ? `Match ${at + 1} of ${count}` : `${count} ${count === 1 ? 'match' : 'matches'}`;
  });

  protected onSearch(text: string): void {
    this.search.set(text);
    this.cursor.set(-1);
  }

  /** Enter selects the next match (Shift+Enter the previous one), opening its wave if folded. */
  protected jump(event: Event, step: 1 | -1): void {
    event.preventDefault();
    const matches = this.layout().matches;
    if (matches.length === 0) return;
    const at = (Math.max(this.cursor(), step === 1 ? -1 : 0) + step + matches.length) % matches.length;
    const id = matches[at];
    this.cursor.set(at);
    const wave = this.plan().waveOf.get(id) as number;
    if (this.collapsed().has(wave)) this.choose(wave, false);
    this.beadSelected.emit(id);
    afterNextRender(() => this.chip(id)?.scrollIntoView?.({ block: 'nearest', inline: 'nearest' }), { injector: this.injector });
  }

  protected toggle(index: number): void {
    this.choose(index, !this.collapsed().has(index));
    this.waveToggled.emit(index);
  }

  protected setAll(collapsed: boolean): void {
    this.chosen.set(new Map(this.plan().waves.map((_, index) => [index, collapsed])));
  }

  protected zoomBy(step: 1 | -1): void {
    const current = this.zoom();
    const next = step === 1 ? ZOOMS.find((z) => z > current + 1e-9) : [...ZOOMS].reverse().find((z) => z < current - 1e-9);
    if (next !== undefined) this.zoom.set(next);
  }

  /** Scales the graph down until it fits the visible area, never below readable-at-a-glance or above 100%. */
  protected fit(): void {
    const { clientWidth, clientHeight } = this.viewport().nativeElement;
    const { width, height } = this.layout();
    if (clientWidth === 0 || width === 0) return;
    const scale = Math.min(1, (clientWidth - 2) / width, clientHeight > 0 ? (clientHeight - 2) / height : 1);
    this.zoom.set(Math.max(ZOOMS[0], Math.floor(scale * 100) / 100));
  }

  protected onKey(event: KeyboardEvent): void {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const action = { '+': () => this.zoomBy(1), '=': () => this.zoomBy(1), '-': () => this.zoomBy(-1), '0': () => this.fit() }[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  }

  protected tally(wave: WaveHeader): string {
    return LEGEND.filter((s) => wave.counts[s]).map((s) => `${wave.counts[s]} ${STATE_LABEL[s]}`).join(', ');
  }

  protected chipTitle(node: PositionedBead): string {
    const reason = node.bead.blocked ? `\nblocked: ${node.bead.blockedReason ?? 'upstream failed'}` : '';
    return `${node.bead.title}${reason}`;
  }

  private choose(index: number, collapsed: boolean): void {
    this.chosen.update((chosen) => new Map(chosen).set(index, collapsed));
  }

  private chip(id: string): HTMLElement | null {
    const chips = this.viewport().nativeElement.querySelectorAll<HTMLElement>('[data-bead-id]');
    return [...chips].find((chip) => chip.dataset['beadId'] === id) ?? null;
  }
}
