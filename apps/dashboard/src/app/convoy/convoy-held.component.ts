import { ChangeDetectionStrategy, Component, input } from '@angular/core';

/**
 * Says that the gateway holds the convoy on a message it cannot apply: what the page shows is
 * where it stopped, not necessarily where the convoy is, until the operator releases the hold.
 */
@Component({
  selector: 'gt-convoy-held',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <p class="held" role="status">
      <strong>Held</strong> since <time data-testid="held-since" [attr.datetime]="since()">{{ shown(since()) }}</time>:
      <span data-testid="held-reason">{{ reason() }}</span>.
      What this page shows stops there until the operator releases the hold; closing the convoy is still recorded.
    </p>
  `,
  styles: `
    .held { margin: 0.5rem 0 0; padding: 0.5rem 0.75rem; border-left: 4px solid var(--warn, #b45309); background: var(--warn-bg, rgba(180, 83, 9, 0.08)); overflow-wrap: anywhere; }
  `,
})
export class ConvoyHeldComponent {
  readonly reason = input.required<string>();
  readonly since = input.required<string>();

  protected shown(iso: string): string {
    const at = new Date(iso);
    return Number.isNaN(at.getTime()) ? iso : at.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  }
}
