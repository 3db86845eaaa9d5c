import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import type { ConnectionState } from '../gateway/gateway.service';

/** Says when live changes stopped arriving, and that they resume by themselves. */
@Component({
  selector: 'gt-connection-banner',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div role="status" aria-live="polite" [class.lost]="state() === 'reconnecting'" data-testid="connection">
      @if (state() === 'reconnecting') {
        Connection to the gateway lost. Reconnecting; what changed meanwhile will follow.
      }
    </div>
  `,
  styles: `
    .lost { background: var(--st-blocked-bg); color: var(--st-blocked-fg); padding: 0.5rem 1.2rem; font-weight: 600; border-bottom: 1px solid var(--border); }
  `,
})
export class ConnectionBannerComponent {
  readonly state = input.required<ConnectionState>();
}
