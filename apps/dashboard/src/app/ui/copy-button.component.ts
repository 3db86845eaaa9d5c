import { ChangeDetectionStrategy, Component, input, signal } from '@angular/core';

/** Copies a value (a branch, a commit) to the clipboard and says so to screen readers too. */
@Component({
  selector: 'gt-copy-button',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <button type="button" class="copy" (click)="copy()" [attr.aria-label]="'Copy ' + label() + ' ' + value()">
      {{ copied() ? 'Copied' : 'Copy' }}
    </button>
    <span class="visually-hidden" role="status">{{ copied() ? label() + ' copied' : '' }}</span>
  `,
  styles: `.copy { padding: 0.05rem 0.45rem; font-size: 0.78rem; }`,
})
export class CopyButtonComponent {
  readonly value = input.required<string>();
  /** What the value is, for the button's accessible name: "branch", "commit". */
  readonly label = input('value');
  protected readonly copied = signal(false);

  protected async copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.value());
      this.copied.set(true);
      setTimeout(() => this.copied.set(false), 1500);
    } catch {
      // Without clipboard access (an http page on another host) the value stays selectable beside the button.
      this.copied.set(false);
    }
  }
}
