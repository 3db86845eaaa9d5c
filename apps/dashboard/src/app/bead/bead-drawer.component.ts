import { DOCUMENT } from '@angular/common';
import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  ElementRef,
  Injector,
  afterNextRender,
  effect,
  inject,
  input,
  output,
  untracked,
  viewChild,
} from '@angular/core';
import { BeadDetailsComponent } from './bead-details.component';
import { BeadStore } from './bead.store';

/**
 * The side panel of one bead: it reads and follows the bead, takes focus when it opens or
 * shows another bead, closes on Escape, and gives focus back to where it came from.
 */
@Component({
  selector: 'gt-bead-drawer',
  imports: [BeadDetailsComponent],
  providers: [BeadStore],
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { '(document:keydown.escape)': 'onEscape($event)' },
  template: `
    <aside #panel class="drawer" tabindex="-1" data-testid="bead-drawer" aria-labelledby="bead-drawer-title" [attr.aria-busy]="store.loading()">
      <header>
        <h2 id="bead-drawer-title">{{ store.bead()?.title ?? (store.error() ? 'Bead not shown' : 'Loading bead…') }}</h2>
        <button type="button" class="close" data-testid="close-drawer" aria-label="Close bead details" (click)="closed.emit()">✕</button>
      </header>
      <div class="content">
        @if (store.error(); as error) {
          <p class="error" role="alert">{{ error }}</p>
        }
        @if (store.bead(); as bead) {
          <gt-bead-details [bead]="bead" [events]="store.events()" [busy]="store.busy()" [retryError]="store.retryError()" (retry)="store.retry()" />
        } @else if (store.loading()) {
          <p class="muted" role="status">Loading…</p>
        }
      </div>
    </aside>
  `,
  styles: `
    .drawer {
      position: fixed; top: 0; right: 0; bottom: 0; z-index: 20; width: min(480px, 100vw);
      display: flex; flex-direction: column; background: var(--surface); color: var(--text);
      border-left: 1px solid var(--border); box-shadow: var(--shadow); outline: none;
    }
    .drawer:focus-visible { outline: 2px solid var(--focus); outline-offset: -2px; }
    header { display: flex; align-items: flex-start; gap: 0.6rem; padding: 0.8rem 1rem; border-bottom: 1px solid var(--border); }
    h2 { flex: 1; margin: 0; font-size: 1.1rem; overflow-wrap: anywhere; }
    .close { flex: none; min-width: 2.25rem; min-height: 2.25rem; justify-content: center; }
    .content { flex: 1; overflow-y: auto; padding: 0.8rem 1rem 1.5rem; overscroll-behavior: contain; }
    @media (max-width: 599.98px) { .drawer { width: 100vw; border-left: 0; } }
  `,
})
export class BeadDrawerComponent {
  readonly beadId = input.required<string>();
  readonly closed = output<void>();

  protected readonly store = inject(BeadStore);
  private readonly panel = viewChild.required<ElementRef<HTMLElement>>('panel');
  private readonly injector = inject(Injector);

  constructor() {
    const opener = inject(DOCUMENT).activeElement;
    effect(() => {
      const id = this.beadId();
      untracked(() => {
        void this.store.load(id);
        // The link that opened another bead may be gone from the panel: focus must not fall to the page.
        afterNextRender(() => this.panel().nativeElement.focus(), { injector: this.injector });
      });
    });
    inject(DestroyRef).onDestroy(() => {
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
    });
  }

  protected onEscape(event: Event): void {
    // A dialog opened over the page owns its Escape.
    if (event.defaultPrevented || (event.target instanceof Element && event.target.closest('dialog, [role=dialog]'))) return;
    this.closed.emit();
  }
}
