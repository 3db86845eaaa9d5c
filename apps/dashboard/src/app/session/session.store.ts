import { Injectable, InjectionToken, computed, inject, signal } from '@angular/core';
import { GatewayClient, GatewayError } from '@gastown/gateway-client/client';

/** Where the GraphQL API answers; the gateway serves the dashboard, so by default the same origin. */
export const GATEWAY_URL = new InjectionToken<string>('GATEWAY_URL', {
  providedIn: 'root',
  factory: () => new URL('/graphql', globalThis.location?.href ?? 'http://127.0.0.1:4000/').href,
});

const TOKEN_KEY = 'gastown.token';

export interface Town {
  readonly id: string;
  readonly name: string;
}

/**
 * Who is signed in. The town token lives in sessionStorage: it survives a reload but not the
 * closing of the tab, and it is never written anywhere else.
 */
@Injectable({ providedIn: 'root' })
export class SessionStore {
  private readonly url = inject(GATEWAY_URL);
  private readonly token = signal<string | null>(sessionStorage.getItem(TOKEN_KEY));

  readonly town = signal<Town | null>(null);
  /** Why the last session ended, shown on the sign-in screen. */
  readonly endedBecause = signal<string | null>(null);
  readonly signedIn = computed(() => this.token() !== null);
  readonly client = computed(() => {
    const token = this.token();
    return token === null ? null : this.clientFor(token);
  });

  /** Checks the token against the gateway before keeping it; throws the reason it was refused. */
  async signIn(token: string): Promise<Town> {
    const trimmed = token.trim();
    if (!/^gt_\S+$/.test(trimmed)) {
      throw new GatewayError('BAD_USER_INPUT', 'A town token starts with gt_ (gt town create prints it once).');
    }
    const { town } = await this.clientFor(trimmed).request<{ town: Town }>('query SignIn { town { id name } }');
    sessionStorage.setItem(TOKEN_KEY, trimmed);
    this.endedBecause.set(null);
    this.town.set(town);
    this.token.set(trimmed);
    return town;
  }

  /** Loads the town of a token kept from earlier in this tab; a refused token ends the session. */
  async restore(): Promise<Town | null> {
    const client = this.client();
    if (!client) return null;
    if (this.town()) return this.town();
    const { town } = await client.request<{ town: Town }>('query Town { town { id name } }');
    this.town.set(town);
    return town;
  }

  signOut(reason: string | null = null): void {
    sessionStorage.removeItem(TOKEN_KEY);
    this.endedBecause.set(reason);
    this.town.set(null);
    this.token.set(null);
  }

  private clientFor(token: string): GatewayClient {
    return new GatewayClient({
      url: this.url,
      token,
      webSocketImpl: globalThis.WebSocket,
      // A dashboard stays open through gateway restarts: it keeps trying and says so.
      maxReconnects: Number.POSITIVE_INFINITY,
    });
  }
}
