import { ChangeDetectionStrategy, Component, computed, effect, inject, input, untracked } from '@angular/core';
import { Title } from '@angular/platform-browser';
import { formatDuration } from '../bead/duration.format';
import { clock } from '../ui/clock';
import { CopyButtonComponent } from '../ui/copy-button.component';
import { AgentListComponent } from './agent-list.component';
import { MergeQueueComponent } from './merge-queue.component';
import { RigAgentComponent } from './rig-agent.component';
import { RigConvoysComponent } from './rig-convoys.component';
import { RigStore } from './rig.store';

/** One rig: its settings, its polecats, its merge queue and the convoys that hold its beads. */
@Component({
  selector: 'gt-rig',
  imports: [AgentListComponent, MergeQueueComponent, RigAgentComponent, RigConvoysComponent, CopyButtonComponent],
  providers: [RigStore],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (store.rig(); as rig) {
      <header class="head">
        <h1>{{ rig.name }}</h1>
        <dl class="facts">
          <dt>Repository</dt>
          <dd><code class="wrap">{{ rig.gitUrl }}</code> <gt-copy-button [value]="rig.gitUrl" label="repository URL" /></dd>
          <dt>Default branch</dt>
          <dd><code>{{ rig.defaultBranch }}</code></dd>
          <dt>Polecats</dt>
          <dd data-testid="rig-capacity">{{ working() }} of {{ rig.config.maxPolecats }} at work</dd>
          <dt>Agent</dt>
          <dd><gt-rig-agent [agent]="rig.config.agent" /> · {{ timeout() }} per attempt</dd>
          <dt>Checks</dt>
          <dd>{{ checks() }}</dd>
        </dl>
      </header>

      <div class="layout">
        <section class="convoys" aria-labelledby="rig-convoys-heading" data-testid="rig-convoys">
          <h2 id="rig-convoys-heading">Convoys</h2>
          <gt-rig-convoys [convoys]="store.convoys()" />
        </section>
        <div class="side">
          <section aria-labelledby="merge-queue-heading" data-testid="merge-queue">
            <h2 id="merge-queue-heading">Merge queue ({{ store.mergeQueue().length }})</h2>
            <gt-merge-queue [entries]="store.mergeQueue()" [now]="now()" />
          </section>
          <section aria-labelledby="rig-agents-heading" data-testid="rig-agents">
            <h2 id="rig-agents-heading">Agents ({{ store.agents().length }})</h2>
            <gt-agent-list [agents]="store.agents()" [now]="now()" />
          </section>
        </div>
      </div>
      @if (store.error(); as error) {
        <p class="error" role="alert">{{ error }}</p>
      }
    } @else if (store.error(); as error) {
      <h1>Rig not found</h1>
      <p class="error" role="alert">{{ error }}</p>
    } @else {
      <h1>Rig</h1>
      <p class="muted" role="status">Loading…</p>
    }
  `,
  styles: `
    :host { display: block; }
    h1 { margin: 0 0 0.4rem; font-size: 1.5rem; overflow-wrap: anywhere; }
    h2 { font-size: 1.1rem; margin: 0 0 0.6rem; }
    .facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 0.9rem; margin: 0 0 1.2rem; }
    .facts dt { color: var(--muted); }
    .facts dd { margin: 0; min-width: 0; }
    .wrap { overflow-wrap: anywhere; }
    gt-copy-button { margin-left: 0.4rem; }
    .layout { display: grid; gap: 1.5rem; grid-template-columns: minmax(0, 1fr); }
    .side { display: grid; gap: 1.5rem; align-content: start; }
    @media (min-width: 900px) {
      .layout { grid-template-columns: minmax(0, 2fr) minmax(16rem, 1fr); }
    }
    @media (max-width: 480px) {
      .facts { grid-template-columns: 1fr; }
      .facts dd { margin-bottom: 0.35rem; }
    }
  `,
})
export class RigPage {
  readonly rigId = input.required<string>();

  protected readonly store = inject(RigStore);
  protected readonly now = clock(15_000);
  protected readonly working = computed(() => this.store.agents().filter((a) => a.status === 'WORKING').length);
  protected readonly timeout = computed(() => formatDuration(this.store.rig()?.config.agentTimeoutMs ?? 0));
  protected readonly checks = computed(() => {
    const names = this.store.rig()?.config.checks.map((c) => c.name) ?? [];
    return names.length > 0 ? names.join(', ') : 'none';
  });

  constructor() {
    const title = inject(Title);
    effect(() => {
      const id = this.rigId();
      untracked(() => void this.store.load(id));
    });
    effect(() => {
      const name = this.store.rig()?.name;
      if (name) title.setTitle(`${name} · Rig · Gastown`);
    });
  }
}
