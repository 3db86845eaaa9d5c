import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import { RouterLink } from '@angular/router';
import { STATE_LABEL } from '../gateway/gateway.types';
import { CopyButtonComponent } from '../ui/copy-button.component';
import { ProgressBarComponent } from '../ui/progress-bar.component';
import { RelativeTimePipe } from '../ui/relative-time.pipe';
import type { ConvoySummary } from './town.store';

const MERGE_MODE_LABEL = { REVIEW_THEN_LAND: 'review, then land', REVIEW_AND_MERGE: 'review and merge' } as const;

@Component({
  selector: 'gt-convoy-card',
  imports: [RouterLink, CopyButtonComponent, ProgressBarComponent, RelativeTimePipe],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @let c = convoy();
    <article class="card" data-testid="convoy-card" [attr.data-convoy-id]="c.id" [attr.data-status]="c.status" [attr.aria-labelledby]="'convoy-' + c.id">
      <header>
        <h3 [id]="'convoy-' + c.id"><a [routerLink]="['/convoys', c.id]" class="title">{{ c.title }}</a></h3>
        <span class="chip st-{{ c.status }}" data-testid="convoy-status">{{ label[c.status] }}</span>
      </header>
      <p class="meta muted">
        <span>{{ mergeMode[c.mergeMode] }}</span>
        <span>·</span>
        <span>{{ c.progress.closed }}/{{ c.progress.total }} closed</span>
        <span>·</span>
        <time [attr.datetime]="c.createdAt" [attr.title]="c.createdAt">created {{ c.createdAt | relativeTime: now() }}</time>
      </p>
      <gt-progress-bar [progress]="c.progress" />
      @if (c.featureBranch) {
        <p class="line"><span class="muted">branch</span> <code class="value">{{ c.featureBranch }}</code> <gt-copy-button [value]="c.featureBranch" label="branch" /></p>
      }
      @if (c.landedCommit) {
        <p class="line" data-testid="landed-commit">
          <span class="muted">landed</span> <code class="value" [attr.title]="c.landedCommit">{{ c.landedCommit.slice(0, 10) }}</code>
          <gt-copy-button [value]="c.landedCommit" label="commit" />
          @if (c.landedAt) { <time class="muted" [attr.datetime]="c.landedAt">{{ c.landedAt | relativeTime: now() }}</time> }
        </p>
      }
    </article>
  `,
  styles: `
    article { padding: 0.9rem 1rem; display: flex; flex-direction: column; gap: 0.45rem; min-width: 0; }
    header { display: flex; align-items: start; justify-content: space-between; gap: 0.6rem; }
    h3 { margin: 0; font-size: 1rem; min-width: 0; overflow-wrap: anywhere; }
    .title { text-decoration: none; }
    .title:hover { text-decoration: underline; }
    .meta { margin: 0; display: flex; flex-wrap: wrap; gap: 0.35rem; font-size: 0.85rem; }
    .line { margin: 0; display: flex; align-items: center; gap: 0.4rem; flex-wrap: wrap; font-size: 0.85rem; }
    .value { overflow-wrap: anywhere; }
  `,
})
export class ConvoyCardComponent {
  readonly convoy = input.required<ConvoySummary>();
  /** The page's clock, so ages move without a request. */
  readonly now = input.required<number>();
  protected readonly label = STATE_LABEL;
  protected readonly mergeMode = MERGE_MODE_LABEL;
}
