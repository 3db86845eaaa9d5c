import { ChangeDetectionStrategy, Component, ElementRef, PendingTasks, computed, inject, linkedSignal, signal, viewChildren } from '@angular/core';
import { Router } from '@angular/router';
import { NewConvoyStore } from './new-convoy.store';
import { PlanFormComponent } from './plan-form.component';
import { PlanPasteComponent } from './plan-paste.component';
import { PlanPreviewComponent } from './plan-preview.component';
import {
  FORM_TASK_LIMIT,
  draftToYaml,
  emptyDraft,
  inputToDraft,
  previewOf,
  readDraft,
  readPlanText,
  textProblem,
  type PlanDraft,
} from './plan.draft';

type Mode = 'form' | 'paste';

const MODES: readonly { value: Mode; label: string }[] = [
  { value: 'form', label: 'Form' },
  { value: 'paste', label: 'Paste a plan' },
];

/**
 * A convoy from a form or from a pasted plan file, with its waves drawn as it is written. The
 * local checks are the ones `gt sling-batch` runs, yet "Create convoy" always asks the gateway, so
 * what the convoy service refuses (a cycle, a flat batch) is shown in its own words.
 */
@Component({
  selector: 'gt-new-convoy',
  imports: [PlanFormComponent, PlanPasteComponent, PlanPreviewComponent],
  providers: [NewConvoyStore],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>New convoy</h1>
    @if (store.loadError(); as loadError) {
      <div role="alert" class="card notice" data-testid="load-error">
        <p class="error">The town's rigs could not be loaded: {{ loadError }}</p>
        <button type="button" (click)="store.load()">Try again</button>
      </div>
    } @else if (store.rigs(); as rigs) {
      @if (rigs.length === 0) {
        <section class="card notice" data-testid="no-rigs" aria-labelledby="no-rigs-title">
          <h2 id="no-rigs-title">This town has no rig yet</h2>
          <p>A convoy's beads are worked on rigs: the git repositories of the town. Register one with the gt command line, then reload this page:</p>
          <pre class="mono"><code>npx gt rig add web --url git&#64;github.com:acme/web.git</code></pre>
          <p class="muted">Options: <code>--branch</code> (default main), <code>--max-polecats N</code>, <code>--check name='["npm","test"]'</code>.</p>
        </section>
      } @else {
        <div class="layout">
          <div class="editor">
            <div role="tablist" aria-label="How to write the plan" class="tabs" (keydown)="onTabKey($event)">
              @for (m of modes; track m.value) {
                <button
                  #tab
                  type="button"
                  role="tab"
                  [id]="'tab-' + m.value"
                  [attr.data-testid]="'mode-' + m.value"
                  [attr.aria-selected]="mode() === m.value"
                  [attr.aria-controls]="'panel-' + m.value"
                  [tabIndex]="mode() === m.value ? 0 : -1"
                  (click)="switchTo(m.value)"
                >
                  {{ m.label }}
                </button>
              }
            </div>
            @if (notice(); as notice) {
              <p role="status" class="card notice warn" data-testid="mode-notice">{{ notice }}</p>
            }
            <div role="tabpanel" id="panel-form" aria-labelledby="tab-form" [hidden]="mode() !== 'form'">
              <gt-plan-form [(draft)]="draft" [rigs]="rigs" />
            </div>
            <div role="tabpanel" id="panel-paste" aria-labelledby="tab-paste" [hidden]="mode() !== 'paste'">
              <gt-plan-paste [(text)]="text" [problem]="pasteProblem()" />
            </div>
          </div>
          <gt-plan-preview class="preview" [preview]="preview()" />
          <div class="actions">
            <button type="button" class="primary" data-testid="create-convoy" [attr.aria-busy]="store.busy()" (click)="create()">
              {{ store.busy() ? 'Creating…' : 'Create convoy' }}
            </button>
            @if (unsent(); as unsent) {
              <p role="alert" class="error" data-testid="unsent">{{ unsent }}</p>
            }
            @if (store.serverError(); as refusal) {
              <div role="alert" class="refusal" data-testid="server-error">
                <p><strong>The gateway refused the convoy; nothing was created.</strong></p>
                <p class="message">{{ refusal.message }}</p>
                @if (refusal.code === 'UNREACHABLE' || refusal.code === 'UNAVAILABLE') {
                  <p class="muted">Creating it again is safe: the same draft is sent as the same request and never makes two convoys.</p>
                }
              </div>
            }
          </div>
        </div>
      }
    } @else {
      <p role="status" class="muted">Loading the town's rigs…</p>
    }
  `,
  styles: `
    h1 { margin: 0 0 1rem; font-size: 1.5rem; }
    .notice { padding: 0.9rem 1rem; }
    .notice h2 { margin: 0 0 0.5rem; font-size: 1.1rem; }
    .notice pre { background: var(--surface-2); padding: 0.6rem 0.8rem; border-radius: 6px; white-space: pre-wrap; overflow-wrap: anywhere; }
    .warn { margin: 0; border-color: var(--st-blocked); background: var(--st-blocked-bg); color: var(--st-blocked-fg); box-shadow: none; }
    .layout { display: grid; gap: 1rem; grid-template-columns: minmax(0, 1fr); grid-template-areas: 'editor' 'preview' 'actions'; }
    .editor { grid-area: editor; display: grid; gap: 0.8rem; min-width: 0; }
    .preview { grid-area: preview; display: block; min-width: 0; }
    .actions { grid-area: actions; display: grid; gap: 0.6rem; justify-items: start; }
    .actions .primary { padding: 0.55rem 1.2rem; font-weight: 600; }
    .actions p { margin: 0; }
    .refusal { width: 100%; border: 1px solid var(--danger); border-left-width: 4px; border-radius: 8px; padding: 0.6rem 0.8rem; background: var(--surface); display: grid; gap: 0.3rem; }
    .refusal .message { white-space: pre-wrap; overflow-wrap: anywhere; color: var(--danger); }
    .tabs { display: inline-flex; justify-self: start; border: 1px solid var(--border); border-radius: 8px; background: var(--surface); }
    .tabs button { border: 0; border-radius: 0; padding: 0.45rem 1rem; background: transparent; }
    .tabs button[aria-selected='true'] { background: var(--accent); color: var(--accent-text); font-weight: 600; }
    .tabs button:first-child { border-radius: 7px 0 0 7px; }
    .tabs button:last-child { border-radius: 0 7px 7px 0; }
    [hidden] { display: none !important; }
    @media (min-width: 1000px) {
      .layout { grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); grid-template-areas: 'editor preview' 'actions preview'; align-items: start; }
      .preview { position: sticky; top: 1rem; }
    }
  `,
})
export class NewConvoyPage {
  protected readonly store = inject(NewConvoyStore);
  private readonly router = inject(Router);
  private readonly pendingTasks = inject(PendingTasks);
  private readonly tabs = viewChildren<ElementRef<HTMLButtonElement>>('tab');

  protected readonly modes = MODES;
  protected readonly mode = signal<Mode>('form');
  private readonly rigs = computed(() => this.store.rigs() ?? []);
  protected readonly draft = linkedSignal<PlanDraft>(() => emptyDraft(this.rigs()[0]?.name ?? ''));
  protected readonly text = signal('');
  protected readonly notice = signal<string | null>(null);
  protected readonly unsent = signal<string | null>(null);

  /** What each side last got from the other: unchanged since, it is not rewritten on the way back. */
  private draftFromText: PlanDraft | null = null;
  private textFromDraft: string | null = null;

  private readonly reading = computed(() =>
    this.mode() === 'form' ? readDraft(this.draft(), this.rigs()) : readPlanText(this.text(), this.rigs()),
  );
  protected readonly preview = computed(() => previewOf(this.reading(), this.rigs()));
  protected readonly pasteProblem = computed(() => (this.mode() === 'paste' ? textProblem(this.text()) : null));

  constructor() {
    void this.store.load();
  }

  protected switchTo(mode: Mode): void {
    if (mode === this.mode()) return;
    this.notice.set(null);
    this.unsent.set(null);
    if (mode === 'paste') this.fillText();
    else this.fillForm();
    this.mode.set(mode);
  }

  protected onTabKey(event: KeyboardEvent): void {
    const values = this.modes.map((m) => m.value);
    const at = values.indexOf(this.mode());
    const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: values.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    const index = (next + values.length) % values.length;
    this.switchTo(values[index]);
    this.tabs()[index]?.nativeElement.focus();
  }

  protected async create(): Promise<void> {
    const input = this.reading().input;
    if (!input) {
      this.unsent.set('Nothing was sent: the pasted plan cannot be read yet. Fix the problem shown under it first.');
      return;
    }
    this.unsent.set(null);
    // Until the convoy is open the page is not settled: a test, or a server render, waits for it.
    const settled = this.pendingTasks.add();
    try {
      const id = await this.store.create(input);
      if (id) await this.router.navigate(['/convoys', id]);
    } finally {
      settled();
    }
  }

  private fillText(): void {
    if (this.draft() === this.draftFromText) return;
    this.textFromDraft = draftToYaml(this.draft());
    this.text.set(this.textFromDraft);
  }

  /** A pasted plan that cannot be read keeps the form as it was, and says why. */
  private fillForm(): void {
    if (this.text() === this.textFromDraft) return;
    const { input, problems } = readPlanText(this.text(), this.rigs());
    const draft = input && input.tasks.length <= FORM_TASK_LIMIT ? inputToDraft(input, this.rigs()) : null;
    if (draft) {
      this.draft.set(draft);
    } else {
      const why = input ? `it has ${input.tasks.length} tasks, more than the form holds (${FORM_TASK_LIMIT})` : problems.join('; ');
      this.notice.set(`The pasted plan was not loaded into the form (${why}). The form shows what it had before; the text is kept under "Paste a plan".`);
    }
    this.draftFromText = this.draft();
  }
}
