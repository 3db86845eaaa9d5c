import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import type { MergeUnderWay, RigLanding } from './convoy.store';

/** A rig's landing under way, with the rig's name for people. */
export interface LandingUnderWay extends RigLanding {
  readonly rigName: string;
}

const MERGE_FATE: Partial<Record<MergeUnderWay['status'], string>> = { CLOSED: 'merged', CANCELLED: 'not merged: its push failed' };

function mergeFate(merge: MergeUnderWay): string {
  return MERGE_FATE[merge.status] ?? 'still lands';
}

function landingFate(landing: RigLanding): string {
  if (landing.status === 'LANDED') return landing.commit ? `landed at ${landing.commit.slice(0, 12)}` : 'landed';
  if (landing.status === 'FAILED') return `not landed: ${landing.reason ?? 'its push failed'}`;
  return 'still lands';
}

/**
 * Says what closing a convoy could not call back: merges and landings whose push was granted
 * before the close, which git may already hold. Each says whether it still lands or how it
 * ended, so a closed convoy never reads as if nothing of it reached a branch.
 */
@Component({
  selector: 'gt-convoy-under-way',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="under-way" role="status">
      <p>
        <strong>Already being pushed when the convoy was closed</strong>, so closing could not call {{ several() ? 'them' : 'it' }} back.
        What still lands shows as merged or landed in the history; nothing else of this convoy does.
      </p>
      <ul>
        @for (merge of merges(); track merge.id) {
          <li data-testid="merge-under-way">Merge of “{{ merge.title }}”: {{ mergeFate(merge) }}</li>
        }
        @for (landing of landings(); track landing.rigId) {
          <li data-testid="landing-under-way">Landing on {{ landing.rigName }}: {{ landingFate(landing) }}</li>
        }
      </ul>
    </div>
  `,
  styles: `
    .under-way { margin: 0; padding: 0.5rem 0.75rem; border-left: 4px solid var(--warn, #b45309); background: var(--warn-bg, rgba(180, 83, 9, 0.08)); overflow-wrap: anywhere; }
    p { margin: 0; }
    ul { margin: 0.3rem 0 0; padding-left: 1.2rem; }
  `,
})
export class ConvoyUnderWayComponent {
  readonly merges = input.required<readonly MergeUnderWay[]>();
  readonly landings = input.required<readonly LandingUnderWay[]>();

  protected readonly several = computed(() => this.merges().length + this.landings().length > 1);
  protected readonly mergeFate = mergeFate;
  protected readonly landingFate = landingFate;
}
