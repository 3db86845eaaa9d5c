import { ChangeDetectionStrategy, Component, input, model } from '@angular/core';

let nextUid = 0;

/** The example of docs/cli.md, so what works here works with `gt sling-batch --file` and back. */
const EXAMPLE = `title: Login page
rig: web                      # the default rig, by name or id
merge_mode: review_then_land  # or review_and_merge
staged: false
parallel: false
tasks:
  - title: Schema
    id: schema
    body: Add the users table.
  - title: API
    depends_on: [schema]      # by index (0), title or id
  - title: UI
    depends_on: [0]
  - title: E2E tests
    depends_on: [API, UI]`;

/** A plan file pasted as text, YAML or JSON, with what is wrong in it right below. */
@Component({
  selector: 'gt-plan-paste',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <label class="field" [for]="'plan-text-' + uid">Plan (YAML or JSON)</label>
    <p class="muted hint" [id]="'plan-hint-' + uid">
      The plan file format of <code>gt sling-batch --file</code>: title, rig, merge_mode, staged, parallel and tasks with title,
      id, body, rig and depends_on.
    </p>
    <textarea
      #area
      rows="18"
      spellcheck="false"
      autocapitalize="off"
      class="mono"
      data-testid="plan-text"
      [id]="'plan-text-' + uid"
      [placeholder]="example"
      [value]="text()"
      [attr.aria-invalid]="problem() ? 'true' : null"
      [attr.aria-describedby]="'plan-hint-' + uid + (problem() ? ' plan-problem-' + uid : '')"
      (input)="text.set(area.value)"
    ></textarea>
    @if (problem(); as problem) {
      <p class="error problem" data-testid="plan-text-error" [id]="'plan-problem-' + uid">{{ problem }}</p>
    }
  `,
  styles: `
    :host { display: grid; gap: 0.35rem; }
    .field { font-weight: 600; }
    .hint { margin: 0; font-size: 0.85rem; }
    textarea { width: 100%; resize: vertical; min-height: 12rem; line-height: 1.4; tab-size: 2; }
    .problem { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; font-size: 0.9rem; }
  `,
})
export class PlanPasteComponent {
  readonly text = model.required<string>();
  /** What reading the text found wrong (syntax, a field), naming the line or the field. */
  readonly problem = input<string | null>(null);

  protected readonly example = EXAMPLE;
  protected readonly uid = nextUid++;
}

