import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, input, output } from '@angular/core';
import { RouterLink } from '@angular/router';
import { STATE_LABEL, beadState, type BeadState } from '../gateway/gateway.types';
import { CopyButtonComponent } from '../ui/copy-button.component';
import { OUTCOME_STATE, type BeadAttempt, type BeadDetail, type BeadEvent, type BeadLink } from './bead.model';
import { durationBetween } from './duration.format';

interface DependencyGroup {
  readonly id: 'blocked-by' | 'blocks';
  readonly heading: string;
  readonly none: string;
  readonly beads: (BeadLink & { state: BeadState })[];
}

interface AttemptView extends BeadAttempt {
  readonly chip: string;
  readonly duration: string | null;
}

/** Everything about one bead, its dependencies across rigs, its attempts and its history. */
@Component({
  selector: 'gt-bead-details',
  imports: [RouterLink, DatePipe, CopyButtonComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @let b = bead();
    <div class="state">
      <span class="chip st-{{ state() }}" data-testid="bead-status" [attr.data-status]="state()">{{ label[state()] }}</span>
      <span class="muted">bead #{{ b.index }} of <a [routerLink]="['/convoys', b.convoyId]">{{ b.convoy.title }}</a></span>
    </div>

    @if (b.blockedReason) {
      <p class="note st-BLOCKED" data-testid="blocked-reason">{{ b.blockedReason }}</p>
    }
    @if (b.status === 'FAILED') {
      <div class="retry">
        @if (b.lastReason) {
          <p class="note st-FAILED">{{ b.lastReason }}</p>
        }
        <button type="button" class="primary" data-testid="retry-bead" [disabled]="busy()" [attr.aria-describedby]="retryError() ? 'retry-error' : null" (click)="retry.emit()">
          {{ busy() ? 'Retrying…' : 'Retry bead' }}
        </button>
        @if (retryError(); as reason) {
          <p class="error" id="retry-error" role="alert">{{ reason }}</p>
        }
      </div>
    }

    <dl class="facts">
      <dt>Rig</dt>
      <dd><a [routerLink]="['/rigs', b.rigId]" data-testid="bead-rig">{{ b.rig.name }}</a></dd>
      <dt>Branch</dt>
      <dd>
        @if (b.branch) {
          <code class="wrap" data-testid="bead-branch">{{ b.branch }}</code> <gt-copy-button [value]="b.branch" label="branch" />
        } @else {
          <span class="muted">none yet</span>
        }
      </dd>
      <dt>Assignee</dt>
      <dd data-testid="bead-assignee">{{ b.assignee ?? 'nobody' }}</dd>
      @if (b.mergeCommit) {
        <dt>Merge commit</dt>
        <dd><code class="wrap" data-testid="merge-commit">{{ b.mergeCommit }}</code> <gt-copy-button [value]="b.mergeCommit" label="merge commit" /></dd>
      }
      <dt>Created</dt>
      <dd><time [attr.datetime]="b.createdAt">{{ b.createdAt | date: 'medium' }}</time></dd>
      @if (b.closedAt) {
        <dt>Closed</dt>
        <dd><time [attr.datetime]="b.closedAt">{{ b.closedAt | date: 'medium' }}</time></dd>
      }
    </dl>

    <h3>Description</h3>
    @if (b.body) {
      <p class="body" data-testid="bead-body">{{ b.body }}</p>
    } @else {
      <p class="muted">No description.</p>
    }

    @for (group of dependencies(); track group.id) {
      <h3>{{ group.heading }} ({{ group.beads.length }})</h3>
      @if (group.beads.length > 0) {
        <ul class="links" [attr.data-testid]="group.id">
          @for (l of group.beads; track l.id) {
            <li>
              <a [routerLink]="['/convoys', l.convoyId]" [queryParams]="{ bead: l.id }">
                <span class="title">{{ l.title }}</span><span class="visually-hidden">, </span>
                <span class="chip st-{{ l.state }}">{{ label[l.state] }}</span><span class="visually-hidden">, rig </span>
                <span class="muted">{{ l.rig.name }}</span>
              </a>
            </li>
          }
        </ul>
      } @else {
        <p class="muted">{{ group.none }}</p>
      }
    }

    <h3>Attempts ({{ attempts().length }})</h3>
    @for (a of attempts(); track a.number; let latest = $first) {
      <details class="attempt" data-testid="bead-attempt" [open]="latest">
        <summary>
          Attempt {{ a.number }} · {{ a.agentName }}
          <span class="chip st-{{ a.chip }}">{{ a.outcome.toLowerCase() }}</span>
        </summary>
        <dl class="facts">
          <dt>Dispatched</dt>
          <dd><time [attr.datetime]="a.dispatchedAt">{{ a.dispatchedAt | date: 'medium' }}</time></dd>
          @if (a.startedAt) {
            <dt>Started</dt>
            <dd><time [attr.datetime]="a.startedAt">{{ a.startedAt | date: 'medium' }}</time></dd>
          }
          @if (a.endedAt) {
            <dt>Ended</dt>
            <dd><time [attr.datetime]="a.endedAt">{{ a.endedAt | date: 'medium' }}</time></dd>
          }
          <dt>Duration</dt>
          <dd>{{ a.duration ?? (a.outcome === 'RUNNING' ? 'still running' : 'unknown') }}</dd>
          @if (a.exitCode !== null) {
            <dt>Exit code</dt>
            <dd class="mono">{{ a.exitCode }}</dd>
          }
          @if (a.reason) {
            <dt>Reason</dt>
            <dd>{{ a.reason }}</dd>
          }
          @if (a.headCommit) {
            <dt>Head commit</dt>
            <dd><code class="wrap">{{ a.headCommit }}</code></dd>
          }
        </dl>
        @if (a.outputTail) {
          <div class="scroll tail" tabindex="0" role="group" [attr.aria-label]="'Output of attempt ' + a.number">
            <pre data-testid="attempt-output">{{ a.outputTail }}</pre>
          </div>
        } @else {
          <p class="muted">No output recorded.</p>
        }
      </details>
    } @empty {
      <p class="muted">Not dispatched yet.</p>
    }

    <h3 id="bead-history-heading">History ({{ events().length }})</h3>
    @if (events().length > 0) {
      <div class="scroll history" tabindex="0" role="group" aria-labelledby="bead-history-heading">
        <ol>
          @for (e of events(); track e.sequence + ':' + e.index) {
            <li data-testid="bead-event">
              <span class="summary">{{ e.summary }}</span>
              <span class="muted small"
                ><time [attr.datetime]="e.occurredAt">{{ e.occurredAt | date: 'MMM d, HH:mm:ss' }}</time> · <span class="mono">{{ e.type }}</span> ·
                {{ e.actor.kind }} {{ e.actor.id }}</span
              >
            </li>
          }
        </ol>
      </div>
    } @else {
      <p class="muted">No events yet.</p>
    }

  `,
  styles: `
    :host { display: block; }
    h3 { font-size: 0.95rem; margin: 1.1rem 0 0.4rem; }
    .state { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem; }
    .note { padding: 0.45rem 0.6rem; border-radius: 6px; margin: 0.6rem 0; overflow-wrap: anywhere; }
    .retry { margin: 0.6rem 0; }
    .retry .error { margin: 0.4rem 0 0; }
    .facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 0.8rem; margin: 0.8rem 0 0; }
    .facts dt { color: var(--muted); }
    .facts dd { margin: 0; min-width: 0; }
    .wrap { overflow-wrap: anywhere; }
    gt-copy-button { margin-left: 0.4rem; }
    .body { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; }
    .links { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.3rem; }
    .links a { display: flex; flex-wrap: wrap; align-items: center; gap: 0.2rem 0.5rem; padding: 0.35rem 0.5rem; border: 1px solid var(--border); border-radius: 6px; text-decoration: none; }
    .links a:hover { background: var(--surface-2); }
    .links .title { flex: 1 1 12rem; text-decoration: underline; overflow-wrap: anywhere; }
    .attempt { border: 1px solid var(--border); border-radius: 6px; padding: 0.4rem 0.6rem; margin-bottom: 0.4rem; }
    .attempt summary { cursor: pointer; display: list-item; }
    .attempt .facts { margin-bottom: 0.5rem; }
    .scroll { overflow: auto; border: 1px solid var(--border); border-radius: 6px; background: var(--surface-2); }
    .tail { max-height: 16rem; }
    .tail pre { margin: 0; padding: 0.5rem; font-size: 0.78rem; white-space: pre; }
    .history { max-height: 20rem; display: flex; flex-direction: column-reverse; }
    .history ol { list-style: none; margin: 0; padding: 0; }
    .history li { display: grid; padding: 0.35rem 0.6rem; border-bottom: 1px solid var(--border); }
    .history li:last-child { border-bottom: 0; }
    .summary { overflow-wrap: anywhere; }
    .small { font-size: 0.8rem; }
  `,
})
export class BeadDetailsComponent {
  readonly bead = input.required<BeadDetail>();
  /** Oldest first: the list reads top to bottom and opens scrolled to the newest. */
  readonly events = input.required<BeadEvent[]>();
  readonly busy = input(false);
  readonly retryError = input<string | null>(null);
  readonly retry = output<void>();

  protected readonly label = STATE_LABEL;
  protected readonly state = computed(() => beadState(this.bead()));
  protected readonly attempts = computed<AttemptView[]>(() =>
    [...this.bead().attempts]
      .sort((a, b) => b.number - a.number)
      .map((a) => ({ ...a, chip: OUTCOME_STATE[a.outcome], duration: durationBetween(a.startedAt ?? a.dispatchedAt, a.endedAt) })),
  );

  protected readonly dependencies = computed<DependencyGroup[]>(() => {
    const withState = (links: BeadLink[]) => links.map((l) => ({ ...l, state: beadState(l) }));
    return [
      { id: 'blocked-by', heading: 'Blocked by', none: 'It waits for no other bead.', beads: withState(this.bead().blockedBy) },
      { id: 'blocks', heading: 'Blocks', none: 'No bead waits for it.', beads: withState(this.bead().blocks) },
    ];
  });
}
