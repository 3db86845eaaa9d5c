import { ChangeDetectionStrategy, Component, ElementRef, Injector, afterNextRender, inject, input, model, viewChildren } from '@angular/core';
import type { MergeModeName } from '@gastown/gateway-client/plan';
import type { RigOption } from './new-convoy.store';
import { withDependency, withTaskAdded, withTaskChanged, withTaskRemoved, type PlanDraft, type TaskDraft } from './plan.draft';

let nextUid = 0;

const MERGE_MODES: readonly { value: MergeModeName; label: string; help: string }[] = [
  {
    value: 'REVIEW_THEN_LAND',
    label: 'Review, then land',
    help: 'Beads merge into a feature branch per rig; the convoy lands it on the default branch at the end.',
  },
  {
    value: 'REVIEW_AND_MERGE',
    label: 'Review and merge',
    help: 'Each bead merges into the default branch as soon as it is reviewed; no feature branch.',
  },
];

/** The plan as a form: the convoy's settings, then its tasks with their rigs and dependencies. */
@Component({
  selector: 'gt-plan-form',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="fields">
      <label class="field">
        <span>Convoy title <span aria-hidden="true">*</span></span>
        <input
          #title
          type="text"
          required
          data-testid="convoy-title"
          placeholder="Login page"
          [value]="draft().title"
          (input)="set({ title: title.value })"
        />
      </label>
      <label class="field">
        <span>Default rig <span aria-hidden="true">*</span></span>
        <select #rig required data-testid="default-rig" (change)="set({ rig: rig.value })">
          @for (option of rigs(); track option.id) {
            <option [value]="option.name" [selected]="option.name === draft().rig">{{ option.name }} ({{ option.defaultBranch }})</option>
          }
        </select>
      </label>
    </div>

    <fieldset class="modes">
      <legend>Merge mode</legend>
      @for (mode of modes; track mode.value) {
        <div class="choice">
          <input
            type="radio"
            name="merge-mode-{{ uid }}"
            [id]="'mode-' + mode.value + '-' + uid"
            [attr.data-testid]="'merge-mode-' + mode.value"
            [value]="mode.value"
            [checked]="draft().mergeMode === mode.value"
            (change)="set({ mergeMode: mode.value })"
            [attr.aria-describedby]="'mode-help-' + mode.value + '-' + uid"
          />
          <div>
            <label [for]="'mode-' + mode.value + '-' + uid">{{ mode.label }}</label>
            <small class="muted" [id]="'mode-help-' + mode.value + '-' + uid">{{ mode.help }}</small>
          </div>
        </div>
      }
    </fieldset>

    <div class="flags">
      <div class="choice">
        <input
          #staged
          type="checkbox"
          data-testid="staged"
          [id]="'staged-' + uid"
          [attr.aria-describedby]="'staged-help-' + uid"
          [checked]="draft().staged"
          (change)="set({ staged: staged.checked })"
        />
        <div>
          <label [for]="'staged-' + uid">Staged</label>
          <small class="muted" [id]="'staged-help-' + uid">Created, but no bead is dispatched until someone starts the convoy.</small>
        </div>
      </div>
      <div class="choice">
        <input
          #parallel
          type="checkbox"
          data-testid="parallel"
          [id]="'parallel-' + uid"
          [attr.aria-describedby]="'parallel-help-' + uid"
          [checked]="draft().parallel"
          (change)="set({ parallel: parallel.checked })"
        />
        <div>
          <label [for]="'parallel-' + uid">Parallel</label>
          <small class="muted" [id]="'parallel-help-' + uid">
            Beads with no dependencies may run in parallel. Without it, several tasks with no "depends on" between them are refused:
            they usually touch the same code and collide at merge time.
          </small>
        </div>
      </div>
    </div>

    <h2 class="tasks-heading">Tasks</h2>
    <ol class="tasks">
      @for (task of draft().tasks; track $index; let i = $index) {
        <li class="task">
          <fieldset>
            <legend>Task #{{ i }}</legend>
            <label class="field">
              <span>Title<span class="visually-hidden"> of task #{{ i }}</span><span aria-hidden="true"> *</span></span>
              <input
                #taskTitle
                type="text"
                required
                data-testid="task-title"
                [value]="task.title"
                (input)="setTask(i, { title: taskTitle.value })"
              />
            </label>
            <label class="field">
              <span>Body<span class="visually-hidden"> of task #{{ i }}</span></span>
              <textarea #body rows="3" data-testid="task-body" [value]="task.body" (input)="setTask(i, { body: body.value })"></textarea>
            </label>
            <label class="field">
              <span>Rig<span class="visually-hidden"> of task #{{ i }}</span></span>
              <select #taskRig data-testid="task-rig" (change)="setTask(i, { rig: taskRig.value })">
                <option value="" [selected]="task.rig === ''">Default rig ({{ draft().rig }})</option>
                @for (option of rigs(); track option.id) {
                  <option [value]="option.name" [selected]="option.name === task.rig">{{ option.name }}</option>
                }
              </select>
            </label>
            <fieldset class="deps" data-testid="depends-on">
              <legend>Task #{{ i }} depends on</legend>
              @for (other of draft().tasks; track $index; let j = $index) {
                @if (j !== i) {
                  <label class="choice">
                    <input #dep type="checkbox" [checked]="task.dependsOn.includes(j)" (change)="setDependency(i, j, dep.checked)" />
                    <span class="dep">#{{ j }} {{ other.title || '(untitled)' }}</span>
                  </label>
                }
              }
              @if (draft().tasks.length === 1) {
                <p class="muted none">No other task yet: add one to make this task wait for it.</p>
              }
            </fieldset>
            @if (draft().tasks.length > 1) {
              <button type="button" class="remove" data-testid="remove-task" (click)="remove(i)">Remove task #{{ i }}</button>
            }
          </fieldset>
        </li>
      }
    </ol>
    <button type="button" class="add" data-testid="add-task" (click)="add()">Add task</button>
  `,
  styles: `
    :host { display: grid; gap: 1rem; }
    .fields { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap: 0.8rem; }
    .field { display: grid; gap: 0.25rem; font-weight: 600; }
    .field input, .field select, .field textarea { width: 100%; font-weight: 400; }
    textarea { resize: vertical; }
    fieldset { border: 1px solid var(--border); border-radius: 8px; padding: 0.6rem 0.8rem 0.8rem; margin: 0; min-width: 0; }
    legend { font-weight: 600; padding: 0 0.3rem; }
    .modes { display: grid; gap: 0.5rem; }
    .flags { display: grid; gap: 0.5rem; }
    .choice { display: flex; gap: 0.5rem; align-items: flex-start; }
    .choice input { margin-top: 0.25rem; flex: none; }
    small { display: block; font-size: 0.82rem; }
    .tasks-heading { font-size: 1.05rem; margin: 0.4rem 0 0; }
    .tasks { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.8rem; }
    .task > fieldset { display: grid; gap: 0.6rem; background: var(--surface-2); }
    .deps { display: flex; flex-wrap: wrap; gap: 0.3rem 1rem; background: var(--surface); }
    .dep { overflow-wrap: anywhere; }
    .none { margin: 0; }
    .choice label { font-weight: 600; }
    .deps .choice { font-weight: 400; }
    .remove, .add { justify-self: start; }
  `,
})
export class PlanFormComponent {
  readonly draft = model.required<PlanDraft>();
  readonly rigs = input.required<readonly RigOption[]>();

  protected readonly modes = MERGE_MODES;
  /** Radio groups and help ids must not clash if the form is ever shown twice. */
  protected readonly uid = nextUid++;
  private readonly taskTitles = viewChildren<ElementRef<HTMLInputElement>>('taskTitle');
  private readonly injector = inject(Injector);

  protected set(change: Partial<Omit<PlanDraft, 'tasks'>>): void {
    this.draft.update((draft) => ({ ...draft, ...change }));
  }

  protected setTask(index: number, change: Partial<TaskDraft>): void {
    this.draft.update((draft) => withTaskChanged(draft, index, change));
  }

  protected setDependency(task: number, on: number, waits: boolean): void {
    this.draft.update((draft) => withDependency(draft, task, on, waits));
  }

  protected add(): void {
    this.draft.update(withTaskAdded);
    this.focusTaskTitle(this.draft().tasks.length - 1);
  }

  /** The removed task's button goes away, so focus moves to the title of the task now in its place. */
  protected remove(index: number): void {
    this.draft.update((draft) => withTaskRemoved(draft, index));
    this.focusTaskTitle(Math.min(index, this.draft().tasks.length - 1));
  }

  private focusTaskTitle(index: number): void {
    afterNextRender(() => this.taskTitles()[index]?.nativeElement.focus(), { injector: this.injector });
  }
}

