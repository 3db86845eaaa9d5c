import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { Router } from '@angular/router';
import { GatewayError } from '@gastown/gateway-client/client';
import { SessionStore } from '../session/session.store';

@Component({
  selector: 'gt-sign-in',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <main class="wrap">
      <form class="card" (submit)="submit($event, token.value)" aria-labelledby="sign-in-title">
        <h1 id="sign-in-title"><img src="favicon.svg" alt="" width="28" height="28" /> Gastown</h1>
        <p class="muted">Sign in with your town's token. It is kept for this tab only.</p>
        @if (session.endedBecause(); as reason) {
          <p class="notice" role="status">{{ reason }}</p>
        }
        <label for="token">Town token</label>
        <input #token id="token" name="token" type="password" autocomplete="off" spellcheck="false" placeholder="gt_…" required
               [attr.aria-invalid]="error() ? true : null" [attr.aria-describedby]="error() ? 'token-error' : null" />
        @if (error(); as message) {
          <p id="token-error" class="error" role="alert" data-testid="sign-in-error">{{ message }}</p>
        }
        <button class="primary" type="submit" [disabled]="busy()">{{ busy() ? 'Checking…' : 'Sign in' }}</button>
        <p class="muted hint">No token yet? <code>gt town create &lt;name&gt;</code> prints one.</p>
      </form>
    </main>
  `,
  styles: `
    .wrap { min-height: 100vh; display: grid; place-items: center; padding: 1rem; }
    form { width: min(420px, 100%); padding: 1.6rem; display: flex; flex-direction: column; gap: 0.6rem; }
    h1 { display: flex; align-items: center; gap: 0.5rem; margin: 0; font-size: 1.5rem; }
    label { font-weight: 600; }
    .notice { background: var(--st-blocked-bg); color: var(--st-blocked-fg); padding: 0.5rem 0.7rem; border-radius: 6px; margin: 0; }
    .error { margin: 0; font-weight: 600; }
    .hint { font-size: 0.85rem; margin: 0; }
  `,
})
export class SignInPage {
  protected readonly session = inject(SessionStore);
  private readonly router = inject(Router);
  protected readonly error = signal<string | null>(null);
  protected readonly busy = signal(false);

  protected async submit(event: Event, token: string): Promise<void> {
    event.preventDefault();
    this.busy.set(true);
    this.error.set(null);
    try {
      await this.session.signIn(token);
      await this.router.navigate(['/']);
    } catch (error) {
      this.error.set(describe(error));
    } finally {
      this.busy.set(false);
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof GatewayError) {
    if (error.code === 'UNAUTHENTICATED') return 'This token does not open any town. Check it and try again.';
    if (error.code === 'UNREACHABLE') return 'The gateway did not answer. Is Gastown running (npm start)?';
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
