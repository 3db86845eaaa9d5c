import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import { RouterLink } from '@angular/router';
import { RelativeTimePipe } from '../ui/relative-time.pipe';
import type { MergeQueueEntry, MergeQueueStatus } from './rig.model';

const STATUS_LABEL: Record<MergeQueueStatus, string> = { WAITING: 'waiting', CHECKING: 'checking', BISECTING: 'bisecting' };

/**
 * The rig's refinery queue, first in line first: each bead's place, what the refinery does with
 * it (waiting for a batch, checking it, bisecting a red batch) and since when, and its batch.
 */
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
                ><span class="status" [class]="'status ' + entry.status.toLowerCase()">{{ label(entry) }}</span> since
                <time [attr.datetime]="since(entry)">{{ since(entry) | relativeTime: now() }}</time> · {{ entry.bead.convoy.title }}@if (entry.bead.assignee) {
                  · by {{ entry.bead.assignee }}
                }</span
              >
              @if (entry.batch; as batch) {
                <span class="batch small" data-testid="merge-batch"
                  >batch <code [attr.title]="batch.id">{{ batch.id.slice(0, 8) }}</code>@if (batch.speculativeOn) {
                    · <span class="speculative" [attr.title]="'built on batch ' + batch.speculativeOn + ', whose checks still run'">speculative</span>
                  } · {{ batch.checkRuns }} check run{{ batch.checkRuns === 1 ? '' : 's' }}</span
                >
              }
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
    .status { font-weight: 600; }
    .status.bisecting { color: var(--danger-text); }
    .speculative { font-style: italic; }
  `,
})
export class MergeQueueComponent {
  /** Next to merge first. */
  readonly entries = input.required<MergeQueueEntry[]>();
  readonly now = input.required<number>();

  protected label(entry: MergeQueueEntry): string {
    return STATUS_LABEL[entry.status];
  }

  /** In a batch: since the batch started; waiting: since it was handed in. */
  protected since(entry: MergeQueueEntry): string {
    return entry.startedAt ?? entry.submittedAt;
  }
}
