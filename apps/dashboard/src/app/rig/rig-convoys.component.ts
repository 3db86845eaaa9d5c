import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import { RouterLink } from '@angular/router';
import { STATE_LABEL } from '../gateway/gateway.types';
import { ProgressBarComponent } from '../ui/progress-bar.component';
import type { RigConvoyView } from './rig.model';

/** How many of a convoy's beads on the rig are read and listed; the convoy page has them all. */
export const BEADS_LISTED = 30;

/** The convoys that hold the rig's beads, each with those beads only. */
@Component({
  selector: 'gt-rig-convoys',
  imports: [RouterLink, ProgressBarComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @for (convoy of convoys(); track convoy.id) {
      <article class="card" data-testid="rig-convoy" [attr.aria-labelledby]="'rig-convoy-' + convoy.id">
        <div class="head">
          <h3 [id]="'rig-convoy-' + convoy.id"><a [routerLink]="['/convoys', convoy.id]">{{ convoy.title }}</a></h3>
          <span class="chip st-{{ convoy.status }}" data-testid="rig-convoy-status">{{ label[convoy.status] }}</span>
        </div>
        <p class="muted small" data-testid="rig-share">
          {{ convoy.rigProgress.total }} of {{ convoy.convoyTotal }} {{ convoy.convoyTotal === 1 ? 'bead' : 'beads' }} on this rig ·
          {{ convoy.mergeMode === 'REVIEW_THEN_LAND' ? 'lands at the end' : 'merges bead by bead' }}
        </p>
        <gt-progress-bar [progress]="convoy.rigProgress" [showCounts]="false" />
        <ul class="beads">
          @for (bead of convoy.beads.slice(0, listed); track bead.id) {
            <li>
              <a [routerLink]="['/convoys', convoy.id]" [queryParams]="{ bead: bead.id }" data-testid="rig-bead">
                <span class="title">{{ bead.title }}</span><span class="visually-hidden">, </span>
                <span class="chip st-{{ bead.state }}">{{ label[bead.state] }}</span>
              </a>
            </li>
          }
        </ul>
        @if (convoy.rigProgress.total > listed) {
          <a class="more" [routerLink]="['/convoys', convoy.id]">{{ convoy.rigProgress.total - listed }} more beads of this rig in {{ convoy.title }}</a>
        }
      </article>
    } @empty {
      <p class="muted">No convoy has a bead on this rig yet.</p>
    }
  `,
  styles: `
    :host { display: grid; gap: 0.8rem; }
    article { padding: 0.8rem 1rem; display: grid; gap: 0.45rem; min-width: 0; }
    .head { display: flex; align-items: baseline; gap: 0.6rem; flex-wrap: wrap; }
    h3 { margin: 0; font-size: 1rem; flex: 1 1 12rem; overflow-wrap: anywhere; }
    .small { margin: 0; font-size: 0.82rem; }
    .beads { list-style: none; margin: 0.2rem 0 0; padding: 0; display: grid; gap: 0.25rem; }
    .beads a { display: flex; align-items: center; gap: 0.5rem; padding: 0.25rem 0.4rem; border-radius: 6px; text-decoration: none; }
    .beads a:hover { background: var(--surface-2); }
    .beads .title { flex: 1; min-width: 0; overflow-wrap: anywhere; text-decoration: underline; }
    .more { font-size: 0.85rem; }
  `,
})
export class RigConvoysComponent {
  /** In flight first, newest first, as the store orders them. */
  readonly convoys = input.required<RigConvoyView[]>();

  protected readonly label = STATE_LABEL;
  protected readonly listed = BEADS_LISTED;
}
