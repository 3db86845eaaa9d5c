import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { Router, RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { GatewayService } from '../gateway/gateway.service';
import { SessionStore } from '../session/session.store';
import { ThemeStore } from '../theme/theme.store';
import { ConnectionBannerComponent } from './connection-banner.component';

@Component({
  selector: 'gt-shell',
  imports: [RouterOutlet, RouterLink, RouterLinkActive, ConnectionBannerComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <a class="skip" href="#main">Skip to content</a>
    <header class="bar">
      <a routerLink="/" class="brand" aria-label="Gastown: town overview">
        <img src="favicon.svg" alt="" width="22" height="22" /> Gastown
      </a>
      <span class="town" data-testid="town-name">{{ session.town()?.name }}</span>
      <nav aria-label="Main">
        <a routerLink="/" routerLinkActive="active" [routerLinkActiveOptions]="{ exact: true }" ariaCurrentWhenActive="page">Overview</a>
        <a routerLink="/convoys/new" routerLinkActive="active" ariaCurrentWhenActive="page">New convoy</a>
      </nav>
      <span class="spacer"></span>
      <button type="button" (click)="theme.toggle()" [attr.aria-label]="'Switch to ' + (theme.theme() === 'dark' ? 'light' : 'dark') + ' theme'">
        {{ theme.theme() === 'dark' ? '☀' : '☾' }}
      </button>
      <button type="button" (click)="signOut()">Sign out</button>
    </header>
    <gt-connection-banner [state]="gateway.connection()" />
    <main id="main" tabindex="-1">
      <router-outlet />
    </main>
  `,
  styles: `
    :host { display: block; min-height: 100vh; }
    .skip { position: absolute; left: -999px; top: 0; background: var(--surface); padding: 0.5rem; z-index: 10; }
    .skip:focus { left: 0.5rem; }
    .bar { display: flex; align-items: center; gap: 1rem; flex-wrap: wrap; padding: 0.6rem 1.2rem; background: var(--surface); border-bottom: 1px solid var(--border); }
    .brand { display: inline-flex; align-items: center; gap: 0.45rem; font-weight: 700; text-decoration: none; font-size: 1.05rem; }
    .town { color: var(--muted); }
    nav { display: flex; gap: 0.8rem; }
    nav a { text-decoration: none; color: var(--muted); padding: 0.2rem 0; border-bottom: 2px solid transparent; }
    nav a.active { color: var(--text); border-bottom-color: var(--accent); }
    .spacer { flex: 1; }
    main { padding: 1.2rem; max-width: 1400px; margin: 0 auto; outline: none; }
    @media (max-width: 600px) { main { padding: 0.8rem; } .bar { gap: 0.6rem; padding: 0.5rem 0.8rem; } }
  `,
})
export class ShellComponent {
  protected readonly session = inject(SessionStore);
  protected readonly gateway = inject(GatewayService);
  protected readonly theme = inject(ThemeStore);
  private readonly router = inject(Router);

  protected signOut(): void {
    this.session.signOut();
    void this.router.navigate(['/sign-in']);
  }
}
