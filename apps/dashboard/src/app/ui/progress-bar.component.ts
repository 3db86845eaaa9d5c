import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import type { ConvoyProgress } from '../gateway/gateway.types';

interface Segment {
  readonly key: string;
  readonly label: string;
  readonly count: number;
  readonly percent: number;
}

/** The order a convoy's beads move through, so the bar fills from the left as work lands. */
const SEGMENTS: readonly { key: keyof ConvoyProgress; label: string }[] = [
  { key: 'closed', label: 'closed' },
  { key: 'inReview', label: 'in review' },
  { key: 'inProgress', label: 'in progress' },
  { key: 'failed', label: 'failed' },
  { key: 'blocked', label: 'blocked' },
  { key: 'cancelled', label: 'cancelled' },
];

/** A convoy's beads by state as one bar, with the counts in words beside it for everyone. */
@Component({
  selector: 'gt-progress-bar',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="bar" role="img" [attr.aria-label]="summary()">
      @for (segment of segments(); track segment.key) {
        <span class="seg {{ segment.key }}" [style.width.%]="segment.percent" [attr.title]="segment.count + ' ' + segment.label"></span>
      }
    </div>
    @if (showCounts()) {
      <ul class="counts" aria-hidden="true">
        @for (segment of segments(); track segment.key) {
          <li><span class="dot {{ segment.key }}"></span>{{ segment.count }} {{ segment.label }}</li>
        }
        @if (progress().open > 0) {
          <li><span class="dot open"></span>{{ progress().open }} open</li>
        }
      </ul>
    }
  `,
  styles: `
    .bar { display: flex; height: 10px; border-radius: 5px; overflow: hidden; background: var(--surface-2); border: 1px solid var(--border); }
    .seg { display: block; height: 100%; }
    .closed { background: var(--st-closed); }
    .inReview { background: var(--st-in-review); }
    .inProgress { background: var(--st-in-progress); }
    .failed { background: var(--st-failed); }
    .blocked { background: var(--st-blocked); }
    .cancelled { background: var(--st-cancelled); }
    .open { background: var(--st-open); }
    .counts { display: flex; flex-wrap: wrap; gap: 0.2rem 0.8rem; list-style: none; margin: 0.35rem 0 0; padding: 0; font-size: 0.8rem; color: var(--muted); }
    .dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 0.3rem; }
  `,
})
export class ProgressBarComponent {
  readonly progress = input.required<ConvoyProgress>();
  readonly showCounts = input(true);

  protected readonly segments = computed<Segment[]>(() => {
    const progress = this.progress();
    const total = Math.max(progress.total, 1);
    return SEGMENTS.filter(({ key }) => progress[key] > 0).map(({ key, label }) => ({
      key,
      label,
      count: progress[key],
      percent: (progress[key] / total) * 100,
    }));
  });

  protected readonly summary = computed(() => {
    const progress = this.progress();
    const parts = this.segments().map((s) => `${s.count} ${s.label}`);
    if (progress.open > 0) parts.push(`${progress.open} open`);
    return `${progress.closed} of ${progress.total} beads closed: ${parts.join(', ') || 'no beads'}`;
  });
}
