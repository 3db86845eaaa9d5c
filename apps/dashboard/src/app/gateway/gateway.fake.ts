import type { DestroyRef } from '@angular/core';
import type { LiveSink } from './gateway.service';

export interface FakeSubscription<Change> {
  readonly document: string;
  readonly variables: () => Record<string, unknown>;
  readonly sink: LiveSink<Change>;
  closed: boolean;
}

/**
 * The live half of our own GatewayService, recorded for store specs: each subscription with
 * its resume variables and sink, closed when its owner's DestroyRef fires. A spec's fake
 * extends it with how its queries and mutations are answered.
 */
export abstract class FakeGateway<Change> {
  readonly subscriptions: FakeSubscription<Change>[] = [];

  abstract request(document: string, variables?: Record<string, unknown>): Promise<unknown>;

  live(document: string, variables: () => Record<string, unknown>, sink: LiveSink<never>, destroyRef: DestroyRef): void {
    const subscription: FakeSubscription<Change> = { document, variables, sink: sink as LiveSink<Change>, closed: false };
    this.subscriptions.push(subscription);
    destroyRef.onDestroy(() => (subscription.closed = true));
  }

  /** The subscriptions still followed. */
  get open(): FakeSubscription<Change>[] {
    return this.subscriptions.filter((s) => !s.closed);
  }
}
