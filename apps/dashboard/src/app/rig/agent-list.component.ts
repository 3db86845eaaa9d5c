import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import { RouterLink } from '@angular/router';
import { RelativeTimePipe } from '../ui/relative-time.pipe';
import type { RigAgent } from './rig.model';

/** A rig's polecats: what each works on and when its runner was last heard of. */
@Component({
  selector: 'gt-agent-list',
  imports: [RouterLink, RelativeTimePipe],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (agents().length > 0) {
      <ul>
        @for (agent of agents(); track agent.id) {
          <li data-testid="rig-agent">
            <div class="line">
              <strong class="name">{{ agent.name }}</strong>
              <span class="chip" [class.st-IN_PROGRESS]="agent.status === 'WORKING'" [class.st-OPEN]="agent.status === 'IDLE'">{{ agent.status === 'WORKING' ? 'working' : 'idle' }}</span>
            </div>
            @if (agent.currentBead; as bead) {
              <a class="bead" [routerLink]="['/convoys', bead.convoyId]" [queryParams]="{ bead: bead.id }" data-testid="agent-bead">{{ bead.title }}</a>
            }
            <span class="muted small" data-testid="agent-heard">
              @if (agent.lastHeartbeatAt) {
                heartbeat <time [attr.datetime]="agent.lastHeartbeatAt">{{ agent.lastHeartbeatAt | relativeTime: now() }}</time>
              } @else {
                last seen <time [attr.datetime]="agent.lastSeenAt">{{ agent.lastSeenAt | relativeTime: now() }}</time>
              }
              · {{ agent.attemptsTotal }} {{ agent.attemptsTotal === 1 ? 'attempt' : 'attempts' }}
            </span>
          </li>
        }
      </ul>
    } @else {
      <p class="muted">No polecat has worked on this rig yet.</p>
    }
  `,
  styles: `
    ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.5rem; }
    li { display: grid; gap: 0.15rem; padding: 0.5rem 0.6rem; border: 1px solid var(--border); border-radius: 6px; }
    .line { display: flex; align-items: center; gap: 0.5rem; flex-wrap: wrap; }
    .name { overflow-wrap: anywhere; }
    .bead { overflow-wrap: anywhere; }
    .small { font-size: 0.82rem; }
  `,
})
export class AgentListComponent {
  /** Working first, as the API orders them. */
  readonly agents = input.required<RigAgent[]>();
  /** The page's clock, so ages move on without asking the server. */
  readonly now = input.required<number>();
}
