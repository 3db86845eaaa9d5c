import { DestroyRef, Injectable, inject, signal } from '@angular/core';
import { Router } from '@angular/router';
import { GatewayError, retryHint } from '@gastown/gateway-client/client';
import { SessionStore } from '../session/session.store';

export type ConnectionState = 'connected' | 'reconnecting';

export interface LiveSink<T> {
  next(data: T): void;
  /** The subscription ended for good (refused); reconnects are handled here and never reach it. */
  error?(error: GatewayError): void;
}

/**
 * The dashboard's only door to the gateway: GraphQL queries and mutations over HTTP, live
 * changes over graphql-ws. It owns the connection state the shell shows, and ends the session
 * when the gateway refuses the token.
 */
@Injectable({ providedIn: 'root' })
export class GatewayService {
  private readonly session = inject(SessionStore);
  private readonly router = inject(Router);
  private readonly dropped = new Set<object>();

  /** reconnecting while any live subscription has lost its socket and is trying again. */
  readonly connection = signal<ConnectionState>('connected');

  async request<T>(document: string, variables: Record<string, unknown> = {}): Promise<T> {
    const client = this.session.client();
    if (!client) throw new GatewayError('UNAUTHENTICATED', 'Sign in with a town token first.');
    try {
      return await client.request<T>(document, variables);
    } catch (error) {
      this.endSessionIfRefused(error);
      throw explainRateLimit(error);
    }
  }

  /**
   * Follows a subscription until the caller's DestroyRef fires. `variables` is read again on
   * every reconnect, so a caller that returns the last sequence it saw misses nothing and
   * sees nothing twice across a lost connection.
   */
  live<T>(document: string, variables: () => Record<string, unknown>, sink: LiveSink<T>, destroyRef: DestroyRef): void {
    const client = this.session.client();
    if (!client) return;
    const key = {};
    const recovered = () => {
      this.dropped.delete(key);
      if (this.dropped.size === 0) this.connection.set('connected');
    };
    const subscription = client.subscribe<T>(document, variables, {
      next: (data) => sink.next(data),
      error: (error) => {
        recovered();
        this.endSessionIfRefused(error);
        sink.error?.(error);
      },
      reconnecting: () => {
        this.dropped.add(key);
        this.connection.set('reconnecting');
      },
      connected: recovered,
    });
    destroyRef.onDestroy(() => {
      recovered();
      void subscription.close();
    });
  }

  private endSessionIfRefused(error: unknown): void {
    if (error instanceof GatewayError && error.code === 'UNAUTHENTICATED') {
      this.session.signOut('The gateway refused the town token. Sign in again with a valid one.');
      void this.router.navigate(['/sign-in']);
    }
  }
}

/** The client already waited what it may; the page says why it stopped and when to try again. */
function explainRateLimit(error: unknown): unknown {
  if (!(error instanceof GatewayError) || error.code !== 'RATE_LIMITED') return error;
  const when = retryHint(error) ?? 'retry in a few seconds';
  return new GatewayError('RATE_LIMITED', `This town is sending more than its share to the gateway; nothing was changed. Please ${when}.`, error.details);
}
