import { DestroyRef, computed, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { GatewayError, type SubscriptionSink } from '@gastown/gateway-client/client';
import { SessionStore } from '../session/session.store';
import { GatewayService } from './gateway.service';

/** A GatewayClient double that lets the test play the socket's life: drops, reconnects, refusals. */
class FakeClient {
  readonly sinks: SubscriptionSink<unknown>[] = [];
  readonly variables: (() => Record<string, unknown>)[] = [];
  closed = 0;
  refuseRequests = false;
  rateLimited = false;

  async request(): Promise<unknown> {
    if (this.refuseRequests) throw new GatewayError('UNAUTHENTICATED', 'invalid token');
    if (this.rateLimited) throw new GatewayError('RATE_LIMITED', 'rate limited: too many mutations', { retryAfterMs: 2_500 });
    return { ok: true };
  }

  subscribe(_query: string, variables: () => Record<string, unknown>, sink: SubscriptionSink<unknown>) {
    this.sinks.push(sink);
    this.variables.push(variables);
    return { close: async () => void this.closed++ };
  }
}

class FakeSession {
  readonly token = signal<string | null>('gt_acme');
  readonly fake = new FakeClient();
  readonly client = computed(() => (this.token() ? this.fake : null));
  endedBecause: string | null = null;
  signOut(reason: string | null) {
    this.endedBecause = reason;
    this.token.set(null);
  }
}

function destroyable() {
  const callbacks: (() => void)[] = [];
  const ref = { onDestroy: (fn: () => void) => callbacks.push(fn) } as unknown as DestroyRef;
  return { ref, destroy: () => callbacks.forEach((fn) => fn()) };
}

function setup() {
  const session = new FakeSession();
  TestBed.configureTestingModule({ providers: [provideRouter([]), { provide: SessionStore, useValue: session }] });
  const navigate = jest.spyOn(TestBed.inject(Router), 'navigate').mockResolvedValue(true);
  return { gateway: TestBed.inject(GatewayService), session, client: session.fake, navigate };
}

describe('GatewayService', () => {
  it('given a town over its rate limit, when a request is refused, then the error says nothing changed and when to retry, and the session stays', async () => {
    const { gateway, client, session } = setup();
    client.rateLimited = true;

    const error = await gateway.request('mutation { x }').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('RATE_LIMITED');
    expect((error as GatewayError).message).toBe('This town is sending more than its share to the gateway; nothing was changed. Please retry in 2.5 s.');
    expect(session.endedBecause).toBeNull();
  });

  it('given two live subscriptions, when both sockets drop, then the shell shows reconnecting until both are back', () => {
    const { gateway, client } = setup();
    const sink = { next: jest.fn() };
    gateway.live('subscription A', () => ({}), sink, destroyable().ref);
    gateway.live('subscription B', () => ({}), sink, destroyable().ref);

    client.sinks.forEach((s) => s.reconnecting?.());
    expect(gateway.connection()).toBe('reconnecting');
    client.sinks[0].connected?.();
    expect(gateway.connection()).toBe('reconnecting');
    client.sinks[1].connected?.();
    expect(gateway.connection()).toBe('connected');
  });

  it('given a page that goes away, then its subscription is closed and no longer counts as lost', () => {
    const { gateway, client } = setup();
    const page = destroyable();
    gateway.live('subscription A', () => ({ afterSequence: 3 }), { next: jest.fn() }, page.ref);
    client.sinks[0].reconnecting?.();

    page.destroy();

    expect(client.closed).toBe(1);
    expect(gateway.connection()).toBe('connected');
  });

  it('given the gateway refuses the token, when a query is sent, then the session ends with the reason and the sign-in screen opens', async () => {
    const { gateway, client, session, navigate } = setup();
    client.refuseRequests = true;

    await expect(gateway.request('{ town { id } }')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });

    expect(session.endedBecause).toBe('The gateway refused the town token. Sign in again with a valid one.');
    expect(navigate).toHaveBeenCalledWith(['/sign-in']);
  });

  it('given a subscription refused for its token, then the session ends too', () => {
    const { gateway, client, session } = setup();
    const error = jest.fn();
    gateway.live('subscription A', () => ({}), { next: jest.fn(), error }, destroyable().ref);

    client.sinks[0].error(new GatewayError('UNAUTHENTICATED', 'the gateway refused the token'));

    expect(error).toHaveBeenCalled();
    expect(session.endedBecause).not.toBeNull();
  });
});
