import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  Injector,
  afterNextRender,
  computed,
  effect,
  inject,
  input,
  signal,
  untracked,
  viewChild,
} from '@angular/core';
import { ActivatedRoute, Router, RouterLink } from '@angular/router';
import { BeadDrawerComponent } from '../bead/bead-drawer.component';
import { STATE_LABEL, type MergeMode } from '../gateway/gateway.types';
import { TimelineComponent } from '../timeline/timeline.component';
import type { TimelineBead } from '../timeline/timeline.layout';
import { clock } from '../ui/clock';
import { CopyButtonComponent } from '../ui/copy-button.component';
import { ProgressBarComponent } from '../ui/progress-bar.component';
import { RelativeTimePipe } from '../ui/relative-time.pipe';
import { CloseConvoyDialog, type ClosingBranch } from './close-convoy.dialog';
import { ConvoyHeldComponent } from './convoy-held.component';
import { ConvoyUnderWayComponent, type LandingUnderWay } from './convoy-under-way.component';
import { ConvoyStore } from './convoy.store';

const MERGE_MODE: Record<MergeMode, string> = {
  REVIEW_THEN_LAND: 'review, then land the feature branch',
  REVIEW_AND_MERGE: 'review and merge each bead into the default branch',
};

/** One convoy: what it is, how far it got, its DAG of beads, and the two things one can do to it. */
@Component({
  selector: 'gt-convoy-page',
  imports: [RouterLink, BeadDrawerComponent, CloseConvoyDialog, ConvoyHeldComponent, ConvoyUnderWayComponent, CopyButtonComponent, ProgressBarComponent, RelativeTimePipe, TimelineComponent],
  providers: [ConvoyStore],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (store.convoy(); as convoy) {
      <header class="card head">
        <div class="top">
          <h1 #heading tabindex="-1">{{ convoy.title }}</h1>
          <span class="chip st-{{ convoy.status }}" data-testid="convoy-status" [attr.data-status]="convoy.status">{{ label[convoy.status] }}</span>
          <span class="actions">
            @if (convoy.status === 'STAGED') {
              <button type="button" class="primary" data-testid="start-convoy" [disabled]="store.busy() !== null" (click)="start()">
                {{ store.busy() === 'start' ? 'Starting…' : 'Start convoy' }}
              </button>
            }
            @if (landable()) {
              <button type="button" class="primary" data-testid="land-again" [disabled]="store.busy() !== null" (click)="landAgain()">
                {{ store.busy() === 'land' ? 'Landing…' : 'Land again' }}
              </button>
            }
            @if (closable()) {
              <button type="button" class="danger" data-testid="close-convoy" [disabled]="store.busy() !== null" (click)="openClose()">Close convoy</button>
            }
          </span>
        </div>
        <dl class="facts">
          <div><dt>Merge</dt><dd>{{ mergeMode[convoy.mergeMode] }}</dd></div>
          @if (convoy.featureBranch; as branch) {
            <div>
              <dt>Feature branch</dt>
              <dd><code data-testid="feature-branch">{{ branch }}</code> <gt-copy-button [value]="branch" label="feature branch" /></dd>
            </div>
          }
          @if (convoy.landedCommit; as commit) {
            <div data-testid="landed-commit">
              <dt>Landed</dt>
              <dd>
                <code [attr.title]="commit">{{ commit.slice(0, 12) }}</code> <gt-copy-button [value]="commit" label="landing commit" />
                <span class="muted">{{ convoy.landedAt | relativeTime: now() }}</span>
              </dd>
            </div>
          }
          <div><dt>Created</dt><dd>{{ convoy.createdAt | relativeTime: now() }}</dd></div>
          <div><dt>Updated</dt><dd>{{ convoy.updatedAt | relativeTime: now() }}</dd></div>
        </dl>
        <gt-progress-bar [progress]="convoy.progress" />
        @if (convoy.held) {
          <gt-convoy-held data-testid="held" [reason]="convoy.heldReason ?? 'no reason recorded'" [since]="convoy.heldSince ?? ''" />
        }
        @if (convoy.failureReason; as reason) {
          <p class="reason failed" data-testid="failure-reason"><strong>Failed:</strong> {{ reason }}</p>
        }
        @if (convoy.cancelReason; as reason) {
          <p class="reason" data-testid="cancel-reason"><strong>Closed:</strong> {{ reason }}</p>
        }
        @if (convoy.mergesUnderWay.length > 0 || convoy.landingsUnderWay.length > 0) {
          <gt-convoy-under-way [merges]="convoy.mergesUnderWay" [landings]="landingsUnderWay()" />
        }
        @if (store.error(); as error) {
          @if (error.action !== 'close') {
            <p class="error" role="alert">{{ error.message }}</p>
          }
        }
        @if (store.loadError(); as error) {
          <p class="error" role="alert">{{ error }}</p>
        }
      </header>

      @if (rigRows().length > 1) {
        <section class="card rigs" aria-labelledby="convoy-rigs-title" data-testid="convoy-rigs">
          <h2 id="convoy-rigs-title">Rigs</h2>
          <ul>
            @for (row of rigRows(); track row.id) {
              <li>
                <a [routerLink]="['/rigs', row.id]" class="rig">{{ row.name }}</a>
                @if (row.branch; as branch) {
                  <span><code>{{ branch }}</code> <gt-copy-button [value]="branch" [label]="row.name + ' feature branch'" /></span>
                }
                @if (row.landing?.commit; as commit) {
                  <span>landed <code [attr.title]="commit">{{ commit.slice(0, 12) }}</code> <gt-copy-button [value]="commit" [label]="row.name + ' landing commit'" /></span>
                } @else if (row.landing?.status === 'FAILED') {
                  <span class="failed" data-testid="rig-landing-failed">landing failed: {{ row.landing?.reason ?? 'no reason recorded' }}</span>
                } @else if (row.landing?.status === 'PUSHING') {
                  <span data-testid="rig-landing-pushing">landing being pushed</span>
                } @else if (convoy.mergeMode === 'REVIEW_THEN_LAND') {
                  <span class="muted">not landed</span>
                }
              </li>
            }
          </ul>
        </section>
      }

      <section class="beads" aria-labelledby="convoy-beads-title">
        <h2 id="convoy-beads-title">Beads <span class="muted">({{ convoy.beads.length }})</span></h2>
        @if (store.paging()) {
          <p class="muted" role="status" data-testid="convoy-paging">Loading beads: {{ convoy.beads.length }} of {{ convoy.progress.total }} so far…</p>
        }
        <gt-timeline [beads]="timelineBeads()" [edges]="convoy.dependencyEdges" [selected]="bead() ?? null" (beadSelected)="openBead($event)" />
      </section>

      <gt-close-convoy-dialog [open]="closing()" [convoyTitle]="convoy.title" [beads]="convoy.beads" [mergeMode]="convoy.mergeMode" [branches]="branches()"
        [busy]="store.busy() === 'close'" [error]="closeError()" (confirmed)="confirmClose($event)" (cancelled)="closing.set(false)" />
    } @else if (store.notFound()) {
      <h1>No such convoy in this town</h1>
      <p data-testid="convoy-not-found">
        No convoy of this town has the id <code>{{ convoyId() }}</code>. It may belong to another town, or the link is mistyped.
      </p>
      <p><a routerLink="/">Back to the town overview</a></p>
    } @else if (store.loadError(); as error) {
      <h1>Convoy</h1>
      <p class="error" role="alert">{{ error }}</p>
      <button type="button" (click)="reload()">Try again</button>
    } @else {
      <h1>Convoy</h1>
      <p class="muted" role="status">Loading the convoy…</p>
    }

    @if (bead(); as beadId) {
      <gt-bead-drawer [beadId]="beadId" (closed)="closeBead()" />
    }
  `,
  styles: `
    :host { display: flex; flex-direction: column; gap: 1rem; }
    .head { padding: 1rem 1.2rem; display: flex; flex-direction: column; gap: 0.7rem; }
    .top { display: flex; align-items: center; flex-wrap: wrap; gap: 0.5rem 0.8rem; }
    h1 { margin: 0; font-size: 1.45rem; line-height: 1.2; overflow-wrap: anywhere; outline: none; }
    .actions { display: flex; gap: 0.5rem; margin-left: auto; flex-wrap: wrap; }
    .facts { display: flex; flex-wrap: wrap; gap: 0.4rem 1.6rem; margin: 0; }
    .facts div { min-width: 0; }
    dt { font-size: 0.75rem; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); }
    dd { margin: 0.1rem 0 0; display: flex; align-items: center; flex-wrap: wrap; gap: 0.4rem; }
    code { overflow-wrap: anywhere; }
    .reason { margin: 0; padding: 0.4rem 0.6rem; border-radius: 6px; background: var(--st-cancelled-bg); color: var(--st-cancelled-fg); }
    .reason.failed { background: var(--st-failed-bg); color: var(--st-failed-fg); }
    .rigs .failed { color: var(--st-failed-fg); overflow-wrap: anywhere; }
    .error { margin: 0; }
    h2 { font-size: 1.1rem; margin: 0 0 0.6rem; }
    .rigs { padding: 0.9rem 1.2rem; }
    .rigs ul { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 0.5rem; }
    .rigs li { display: flex; flex-wrap: wrap; align-items: center; gap: 0.3rem 1rem; }
    .rigs li > span { display: inline-flex; flex-wrap: wrap; align-items: center; gap: 0.4rem; min-width: 0; }
    .rig { font-weight: 600; min-width: 6rem; }
    .beads { min-width: 0; }
    @media (max-width: 600px) { .head { padding: 0.8rem; } h1 { font-size: 1.25rem; } .actions { margin-left: 0; } }
  `,
})
export class ConvoyPage {
  readonly convoyId = input.required<string>();
  /** The bead whose drawer is open: the `bead` query parameter, so the view can be linked to. */
  readonly bead = input<string>();

  protected readonly store = inject(ConvoyStore);
  protected readonly label = STATE_LABEL;
  protected readonly mergeMode = MERGE_MODE;
  private readonly ticks = clock();
  /** The clock ticks every 30 s; a change that arrived since must not read as "in 12 seconds". */
  protected readonly now = computed(() => Math.max(this.ticks(), Date.parse(this.store.convoy()?.updatedAt ?? '') || 0));
  protected readonly closing = signal(false);
  private readonly router = inject(Router);
  private readonly route = inject(ActivatedRoute);
  private readonly injector = inject(Injector);
  private readonly heading = viewChild<ElementRef<HTMLElement>>('heading');

  private readonly rigNames = computed(() => new Map((this.store.convoy()?.rigs ?? []).map((r) => [r.id, r.name])));

  protected readonly closable = computed(() => {
    const status = this.store.convoy()?.status;
    return status !== undefined && status !== 'LANDED' && status !== 'CANCELLED';
  });

  /** Rig names go on the chips only when there is more than one rig to tell apart. */
  protected readonly timelineBeads = computed<TimelineBead[]>(() => {
    const convoy = this.store.convoy();
    if (!convoy) return [];
    const names = convoy.rigs.length > 1 ? this.rigNames() : null;
    return convoy.beads.map((b) => ({ ...b, rigName: names?.get(b.rigId) ?? null }));
  });

  protected readonly rigRows = computed(() => {
    const convoy = this.store.convoy();
    if (!convoy) return [];
    const branches = new Map(convoy.featureBranches.map((f) => [f.rigId, f.branch]));
    const landings = new Map(convoy.landings.map((l) => [l.rigId, l]));
    return convoy.rigs.map((rig) => ({ id: rig.id, name: rig.name, branch: branches.get(rig.id) ?? null, landing: landings.get(rig.id) ?? null }));
  });

  protected readonly landingsUnderWay = computed<LandingUnderWay[]>(() =>
    (this.store.convoy()?.landingsUnderWay ?? []).map((l) => ({ ...l, rigName: this.rigNames().get(l.rigId) ?? l.rigId })),
  );

  protected readonly branches = computed<ClosingBranch[]>(() =>
    (this.store.convoy()?.featureBranches ?? []).map((f) => ({ rigName: this.rigNames().get(f.rigId) ?? f.rigId, branch: f.branch })),
  );

  /**
   * A landing that failed with every bead merged can be tried again once its cause is fixed (the
   * gateway refuses it otherwise): rigs already landed stay landed.
   */
  protected readonly landable = computed(() => {
    const convoy = this.store.convoy();
    return convoy?.status === 'FAILED' && convoy.mergeMode === 'REVIEW_THEN_LAND' && convoy.progress.total > 0 && convoy.progress.closed === convoy.progress.total;
  });

  protected readonly closeError = computed(() => {
    const error = this.store.error();
    return error?.action === 'close' ? error.message : null;
  });

  constructor() {
    effect(() => {
      const id = this.convoyId();
      untracked(() => {
        this.closing.set(false);
        void this.store.load(id);
      });
    });
  }

  protected start(): void {
    void this.store.start();
  }

  protected landAgain(): void {
    void this.store.landAgain();
  }

  protected openClose(): void {
    this.store.clearError();
    this.closing.set(true);
  }

  protected async confirmClose(reason: string): Promise<void> {
    if (!(await this.store.close(reason))) return;
    this.closing.set(false);
    // The button that opened the dialog is gone with the convoy closed: focus must not fall to the page.
    afterNextRender(() => this.heading()?.nativeElement.focus(), { injector: this.injector });
  }

  protected reload(): void {
    void this.store.load(this.convoyId());
  }

  protected openBead(id: string): void {
    void this.router.navigate([], { relativeTo: this.route, queryParams: { bead: id }, queryParamsHandling: 'merge' });
  }

  protected closeBead(): void {
    void this.router.navigate([], { relativeTo: this.route, queryParams: { bead: null }, queryParamsHandling: 'merge' });
  }
}
