import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import type { PlanPreview } from './plan.draft';

let nextUid = 0;

const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The waves a plan will run in, left to right, and what would be refused about it. */
@Component({
  selector: 'gt-plan-preview',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section class="card" data-testid="plan-preview" [attr.aria-labelledby]="'preview-title-' + uid">
      <h2 [id]="'preview-title-' + uid">Preview</h2>
      <p class="summary" data-testid="preview-summary">{{ summary() }}</p>
      <div role="alert" data-testid="preview-error" class="problem">
        @if (preview().error; as error) {
          <p class="error">{{ error }}</p>
        }
      </div>
      @if (preview().waves.length > 0) {
        <div class="scroller" tabindex="0" role="group" aria-label="Waves, in the order they run">
          <ol class="waves">
            @for (wave of preview().waves; track wave.index) {
              <li class="wave" data-testid="preview-wave">
                <h3>Wave {{ wave.index + 1 }}</h3>
                <ul class="tasks">
                  @for (task of wave.tasks; track task.index) {
                    <li class="task" data-testid="preview-task">
                      <span class="num">#{{ task.index }}</span>
                      <span class="title">{{ task.title || '(untitled)' }}</span>
                      <span class="rig muted"><span class="visually-hidden">on rig </span>{{ task.rig }}</span>
                    </li>
                  }
                </ul>
              </li>
            }
          </ol>
        </div>
      }
    </section>
  `,
  styles: `
    section { padding: 0.9rem 1rem; display: grid; gap: 0.5rem; min-width: 0; }
    h2 { font-size: 1.05rem; margin: 0; }
    .summary { margin: 0; font-weight: 600; }
    .problem:empty { display: none; }
    .problem .error { margin: 0; padding: 0.5rem 0.7rem; border: 1px solid var(--danger); border-radius: 6px; white-space: pre-wrap; overflow-wrap: anywhere; }
    .scroller { overflow-x: auto; padding-bottom: 0.3rem; }
    .waves { display: flex; gap: 0.7rem; list-style: none; margin: 0; padding: 0; }
    .wave { flex: 0 0 clamp(8.5rem, 38vw, 11rem); display: grid; align-content: start; gap: 0.4rem; background: var(--surface-2); border: 1px solid var(--border); border-radius: 8px; padding: 0.5rem; }
    h3 { font-size: 0.85rem; margin: 0; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; }
    .tasks { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.35rem; }
    .task { display: grid; grid-template-columns: auto 1fr; gap: 0 0.35rem; background: var(--surface); border: 1px solid var(--border); border-left: 3px solid var(--accent); border-radius: 6px; padding: 0.3rem 0.45rem; font-size: 0.88rem; }
    .num { font-weight: 700; }
    .title { overflow-wrap: anywhere; }
    .rig { grid-column: 2; font-size: 0.78rem; }
  `,
})
export class PlanPreviewComponent {
  readonly preview = input.required<PlanPreview>();

  protected readonly uid = nextUid++;

  protected readonly summary = computed(() => {
    const { taskCount, waves, error } = this.preview();
    if (taskCount === 0) return error ? 'Nothing to preview until the plan can be read.' : 'No tasks yet.';
    if (waves.length === 0 && error) return `${count(taskCount, 'task')}; the waves show once the plan can run.`;
    return `${count(taskCount, 'task')} in ${count(waves.length, 'wave')}`;
  });
}
