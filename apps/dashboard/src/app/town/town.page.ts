import { ChangeDetectionStrategy, Component, OnInit, inject } from '@angular/core';
import { RouterLink } from '@angular/router';
import { SessionStore } from '../session/session.store';
import { clock } from '../ui/clock';
import { RelativeTimePipe } from '../ui/relative-time.pipe';
import { ConvoyCardComponent } from './convoy-card.component';
import { TownStore } from './town.store';

@Component({
  selector: 'gt-town-page',
  imports: [RouterLink, ConvoyCardComponent, RelativeTimePipe],
  providers: [TownStore],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="head">
      <h1>{{ session.town()?.name ?? 'Town' }}</h1>
      <a class="button primary" routerLink="/convoys/new" data-testid="new-convoy">New convoy</a>
    </div>
    @if (store.error(); as error) {
      <p class="error" role="alert">{{ error }}</p>
    }
    <div class="layout">
      <section aria-labelledby="convoys-title" class="convoys">
        <h2 id="convoys-title" class="visually-hidden">Convoys</h2>
        <h3 class="group">Active <span class="muted">({{ store.active().length }})</span></h3>
        @if (store.active().length === 0 && !store.loading()) {
          <p class="muted empty">No convoy at work. <a routerLink="/convoys/new">Plan one</a>, or run <code>gt sling-batch --file plan.yaml</code>.</p>
        }
        <div class="grid" data-testid="active-convoys">
          @for (convoy of store.active(); track convoy.id) {
            <gt-convoy-card [convoy]="convoy" [now]="now()" />
          }
        </div>
        <h3 class="group">Recent <span class="muted">({{ store.recent().length }})</span></h3>
        @if (store.recent().length === 0 && !store.loading()) {
          <p class="muted empty">Landed, failed and closed convoys show here.</p>
        }
        <div class="grid" data-testid="recent-convoys">
          @for (convoy of store.recent(); track convoy.id) {
            <gt-convoy-card [convoy]="convoy" [now]="now()" />
          }
        </div>
        @if (store.totalConvoys() > store.active().length + store.recent().length) {
          <p class="muted">Showing the newest {{ store.active().length + store.recent().length }} of {{ store.totalConvoys() }} convoys; a rig's page lists its own.</p>
        }
      </section>
      <aside class="side" aria-label="Rigs and agents">
        <section class="card panel" aria-labelledby="rigs-title" data-testid="rigs">
          <h2 id="rigs-title">Rigs</h2>
          @if (store.rigs().length === 0 && !store.loading()) {
            <p class="muted">No rig yet: <code>gt rig add &lt;name&gt; &lt;git-url&gt;</code>.</p>
          }
          <ul>
            @for (rig of store.rigs(); track rig.id) {
              <li>
                <a [routerLink]="['/rigs', rig.id]">{{ rig.name }}</a>
                <span class="muted">{{ workingOn(rig.id) }}/{{ rig.config.maxPolecats }} at work · {{ rig.defaultBranch }}</span>
              </li>
            }
          </ul>
        </section>
        <section class="card panel" aria-labelledby="agents-title" data-testid="agents-at-work">
          <h2 id="agents-title">Agents at work <span class="muted">({{ store.working().length }})</span></h2>
          @if (store.working().length === 0) {
            <p class="muted">Every polecat is idle.</p>
          }
          <ul>
            @for (agent of store.working(); track agent.id) {
              <li>
                <span class="agent">{{ agent.name }}</span>
                <span class="muted">on {{ store.rigNames().get(agent.rigId) ?? agent.rigId }}</span>
                @if (agent.currentBead; as bead) {
                  <a [routerLink]="['/convoys', bead.convoyId]" [queryParams]="{ bead: bead.id }">{{ bead.title }}</a>
                }
                @if (agent.lastHeartbeatAt) {
                  <span class="muted beat">heartbeat {{ agent.lastHeartbeatAt | relativeTime: now() }}</span>
                }
              </li>
            }
          </ul>
        </section>
      </aside>
    </div>
  `,
  styles: `
    .head { display: flex; align-items: center; justify-content: space-between; gap: 1rem; flex-wrap: wrap; }
    h1 { margin: 0.2rem 0 0.8rem; font-size: 1.6rem; }
    .layout { display: grid; grid-template-columns: minmax(0, 1fr) 320px; gap: 1.2rem; align-items: start; }
    .group { font-size: 1rem; margin: 0.4rem 0 0.6rem; }
    .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 0.8rem; margin-bottom: 1.2rem; }
    .empty { margin: 0 0 1rem; }
    .side { display: flex; flex-direction: column; gap: 1rem; }
    .panel { padding: 0.8rem 1rem; }
    .panel h2 { font-size: 1rem; margin: 0 0 0.5rem; }
    ul { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 0.5rem; }
    li { display: flex; flex-wrap: wrap; gap: 0.3rem 0.5rem; align-items: baseline; overflow-wrap: anywhere; }
    .agent { font-weight: 600; }
    .beat { font-size: 0.8rem; }
    @media (max-width: 900px) { .layout { grid-template-columns: minmax(0, 1fr); } .side { order: -1; } }
    @media (max-width: 420px) { .grid { grid-template-columns: minmax(0, 1fr); } }
  `,
})
export class TownPage implements OnInit {
  protected readonly store = inject(TownStore);
  protected readonly session = inject(SessionStore);
  protected readonly now = clock();

  ngOnInit(): void {
    void this.store.load();
  }

  protected workingOn(rigId: string): number {
    return this.store.working().filter((a) => a.rigId === rigId).length;
  }
}
