import { DOCUMENT } from '@angular/common';
import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  Injector,
  afterNextRender,
  computed,
  effect,
  inject,
  input,
  output,
  signal,
  untracked,
  viewChild,
} from '@angular/core';
import type { BeadStatus, MergeMode } from '../gateway/gateway.types';

export interface ClosingBead {
  readonly title: string;
  readonly status: BeadStatus;
  readonly assignee: string | null;
  /** Its merge push was already granted when last read: closing cannot stop it. */
  readonly mergeUnderWay: boolean;
}

export interface ClosingBranch {
  readonly rigName: string;
  readonly branch: string;
}

const NAMED = 3;

let instances = 0;

/**
 * Asks for a reason before a convoy is closed, and says first what closing does to it: which
 * agents stop, which reviews are dropped, what is cancelled and what stays merged unlanded (or
 * still lands, when its push was already under way).
 */
@Component({
  selector: 'gt-close-convoy-dialog',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (open()) {
      <div class="backdrop" (click)="cancel()" aria-hidden="true"></div>
      <div #box class="dialog card" role="dialog" aria-modal="true" [attr.aria-labelledby]="uid + '-t'" [attr.aria-describedby]="uid + '-d'"
        data-testid="close-convoy-dialog" (keydown)="onKey($event)">
        <h2 [id]="uid + '-t'">Close convoy “{{ convoyTitle() }}”?</h2>
        <div [id]="uid + '-d'">
          <p>Closing cannot be undone.</p>
          <ul data-testid="close-consequences">
            @for (line of consequences(); track $index) {
              <li>{{ line }}</li>
            }
          </ul>
        </div>
        <form (submit)="submit($event)">
          <label [for]="uid + '-r'">Reason <span class="muted">(required; kept in the convoy's history)</span></label>
          <textarea #reasonBox [id]="uid + '-r'" rows="3" required data-testid="close-reason" [value]="reason()"
            (input)="reason.set(reasonBox.value)"></textarea>
          @if (error(); as error) {
            <p class="error" role="alert">{{ error }}</p>
          }
          <div class="buttons">
            <button type="button" (click)="cancel()">Keep it</button>
            <button type="submit" class="danger" data-testid="confirm-close" [disabled]="busy() || reason().trim() === ''">
              {{ busy() ? 'Closing…' : 'Close convoy' }}
            </button>
          </div>
        </form>
      </div>
    }
  `,
  styles: `
    .backdrop { position: fixed; inset: 0; z-index: 30; background: var(--bg); opacity: 0.8; }
    .dialog {
      position: fixed; z-index: 31; left: 50%; top: 50%; transform: translate(-50%, -50%);
      width: min(34rem, calc(100vw - 1.5rem)); max-height: calc(100vh - 2rem); overflow-y: auto; padding: 1rem 1.2rem;
    }
    h2 { margin: 0 0 0.5rem; font-size: 1.15rem; overflow-wrap: anywhere; }
    p { margin: 0.3rem 0; }
    ul { margin: 0.3rem 0 0.8rem; padding-left: 1.2rem; }
    li { margin: 0.2rem 0; overflow-wrap: anywhere; }
    label { display: block; font-weight: 600; margin-bottom: 0.3rem; }
    label .muted { font-weight: 400; }
    textarea { width: 100%; resize: vertical; }
    .buttons { display: flex; justify-content: flex-end; flex-wrap: wrap; gap: 0.5rem; margin-top: 0.8rem; }
  `,
})
export class CloseConvoyDialog {
  readonly open = input.required<boolean>();
  readonly convoyTitle = input.required<string>();
  readonly beads = input.required<readonly ClosingBead[]>();
  readonly mergeMode = input.required<MergeMode>();
  /** One per rig in REVIEW_THEN_LAND; empty in REVIEW_AND_MERGE. */
  readonly branches = input<readonly ClosingBranch[]>([]);
  readonly busy = input(false);
  readonly error = input<string | null>(null);
  readonly confirmed = output<string>();
  readonly cancelled = output<void>();

  protected readonly uid = `gt-close-convoy-${++instances}`;
  protected readonly reason = signal('');
  private readonly box = viewChild<ElementRef<HTMLElement>>('box');
  private readonly reasonBox = viewChild<ElementRef<HTMLTextAreaElement>>('reasonBox');
  private readonly document = inject(DOCUMENT);
  private readonly injector = inject(Injector);
  private opener: Element | null = null;

  protected readonly consequences = computed(() => consequences(this.beads(), this.mergeMode(), this.branches()));

  constructor() {
    effect(() => {
      const open = this.open();
      untracked(() => (open ? this.opened() : this.closedAgain()));
    });
  }

  protected submit(event: Event): void {
    event.preventDefault();
    const reason = this.reason().trim();
    if (reason && !this.busy()) this.confirmed.emit(reason);
  }

  protected cancel(): void {
    this.cancelled.emit();
  }

  /** Escape cancels; Tab and Shift+Tab stay inside the dialog. */
  protected onKey(event: KeyboardEvent): void {
    if (event.key === 'Escape') {
      event.preventDefault();
      this.cancel();
      return;
    }
    const box = this.box()?.nativeElement;
    if (event.key !== 'Tab' || !box) return;
    const focusable = [...box.querySelectorAll<HTMLElement>('textarea, button:not([disabled])')];
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (event.shiftKey && this.document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && this.document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }

  private opened(): void {
    this.opener = this.document.activeElement;
    this.reason.set('');
    afterNextRender(() => this.reasonBox()?.nativeElement.focus(), { injector: this.injector });
  }

  private closedAgain(): void {
    const opener = this.opener;
    this.opener = null;
    if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
  }
}

function consequences(beads: readonly ClosingBead[], mergeMode: MergeMode, branches: readonly ClosingBranch[]): string[] {
  const of = (status: BeadStatus) => beads.filter((b) => b.status === status);
  const working = of('IN_PROGRESS');
  const pushing = of('IN_REVIEW').filter((b) => b.mergeUnderWay);
  const inReview = of('IN_REVIEW').filter((b) => !b.mergeUnderWay);
  const open = of('OPEN').length;
  const failed = of('FAILED').length;
  const closed = of('CLOSED').length;
  const lines: string[] = [];

  if (working.length > 0) {
    const agents = [...new Set(working.map((b) => b.assignee ?? 'an agent'))];
    lines.push(
      `${count(working.length, 'agent')} will be stopped (${working.length === 1 ? 'bead' : 'beads'} ${titles(working)} in progress, worked by ${list(agents)}).`,
    );
  } else {
    lines.push('No agent is at work on it, so none will be stopped.');
  }
  if (pushing.length > 0) {
    const one = pushing.length === 1;
    lines.push(
      `${one ? 'The merge' : 'The merges'} of ${titles(pushing)} ${one ? 'is' : 'are'} already being pushed and cannot be called back: ` +
        `${one ? 'it still lands' : 'they still land'} unless the push fails.`,
    );
  }
  // A push may be granted after this page last read the bead: the dialog cannot know which were.
  if (inReview.length > 0) {
    const their = inReview.length === 1 ? 'its' : 'their';
    lines.push(
      `${count(inReview.length, 'bead')} in review (${titles(inReview)}) will not be merged unless ${their} merge is already being pushed; ` +
        'a merge already being pushed still lands: this page will name it, then show that bead merged.',
    );
  }
  const cancelled = [open > 0 ? count(open, 'open bead') : '', failed > 0 ? count(failed, 'failed bead') : ''].filter(Boolean);
  if (cancelled.length > 0) lines.push(`${cancelled.join(' and ')} will be cancelled.`);
  // A convoy lands only once every bead is closed: only then may a landing be under way.
  const mayBeLanding = beads.length > 0 && closed === beads.length;
  lines.push(closedLine(closed, mergeMode, branches, mayBeLanding));
  return lines;
}

function closedLine(closed: number, mergeMode: MergeMode, branches: readonly ClosingBranch[], mayBeLanding: boolean): string {
  const merged = `${count(closed, 'closed bead')} stay${closed === 1 ? 's' : ''} merged`;
  if (mergeMode === 'REVIEW_AND_MERGE') {
    return closed > 0 ? `${merged} into the default branch.` : 'Nothing was merged into the default branch yet.';
  }
  // Rigs often share the branch name (it comes from the convoy): name it once, with its rigs.
  const rigsByBranch = new Map<string, string[]>();
  for (const b of branches) rigsByBranch.set(b.branch, [...(rigsByBranch.get(b.branch) ?? []), b.rigName]);
  const groups = [...rigsByBranch].map(([branch, rigs]) => (branches.length > 1 ? `${branch} (${list(rigs)})` : branch));
  const several = groups.length > 1;
  const where = groups.length === 0 ? "the convoy's feature branch" : `feature branch${several ? 'es' : ''} ${list(groups)}`;
  if (closed === 0) return `${upperFirst(where)} will not land; nothing was merged on ${several ? 'them' : 'it'} yet.`;
  // Only a landing whose push has not yet been granted can be stopped; the dialog cannot know which were.
  if (mayBeLanding) {
    return (
      `${merged} on ${where}. A rig that has not landed yet will not land unless its landing is already being pushed; ` +
      'a landing already being pushed still lands: this page will name it, then show that rig landed.'
    );
  }
  return `${merged} on ${where}${several ? ', and none of them will land' : ' and the branch will not land'}.`;
}

function titles(beads: readonly ClosingBead[]): string {
  return list(beads.map((b) => `“${b.title}”`));
}

function upperFirst(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** "A", "A and B", "A, B, C and 2 more": long lists would bury the sentence. */
function list(items: readonly string[]): string {
  if (items.length > NAMED) return `${items.slice(0, NAMED).join(', ')} and ${items.length - NAMED} more`;
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
