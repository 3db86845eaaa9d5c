import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import { RouterLink } from '@angular/router';
import { RelativeTimePipe } from '../ui/relative-time.pipe';
import type { MergeQueueEntry } from './rig.model';

/** The rig's beads waiting for the refinery, numbered in the order it takes them. */
@Component({
  selector: 'gt-merge-queue',
  imports: [RouterLink, RelativeTimePipe],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (entries().length > 0) {
      <ol>
        @for (entry of entries(); track entry.bead.id) {
          <li data-testid="merge-queue-item">
            <span class="position" aria-hidden="true">{{ entry.position }}</span>
            <div class="what">
              <a [routerLink]="['/convoys', entry.bead.convoyId]" [queryParams]="{ bead: entry.bead.id }">
                <span class="visually-hidden">{{ entry.position === 1 ? 'Next' : 'Number ' + entry.position }}: </span>{{ entry.bead.title }}
              </a>
              <span class="muted small"
                >{{ entry.convoyTitle }}@if (entry.submittedAt) {
                  · handed in <time [attr.datetime]="entry.submittedAt">{{ entry.submittedAt | relativeTime: now() }}</time>
                }@if (entry.bead.assignee) {
                  · by {{ entry.bead.assignee }}
                }</span
              >
            </div>
          </li>
        }
      </ol>
    } @else {
      <p class="muted">Nothing waits for review.</p>
    }
  `,
  styles: `
    ol { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.5rem; }
    li { display: flex; gap: 0.6rem; align-items: flex-start; padding: 0.5rem 0.6rem; border: 1px solid var(--border); border-radius: 6px; }
    .position {
      flex: none; min-width: 1.8rem; height: 1.8rem; border-radius: 50%; display: inline-flex; align-items: center; justify-content: center;
      font-weight: 700; background: var(--st-in-review-bg); color: var(--st-in-review-fg);
    }
    .what { display: grid; gap: 0.1rem; min-width: 0; }
    .what a { overflow-wrap: anywhere; }
    .small { font-size: 0.82rem; overflow-wrap: anywhere; }
  `,
})
export class MergeQueueComponent {
  /** Next to merge first. */
  readonly entries = input.required<MergeQueueEntry[]>();
  readonly now = input.required<number>();
}
