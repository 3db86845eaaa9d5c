import { eventually } from '@gastown/testing';
import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';

export interface Closed {
  readonly code: number;
  readonly reason: string;
}

export interface LiveClient {
  readonly client: Client;
  /** Set once the server closed the socket. */
  closed(): Closed | null;
  dispose(): Promise<void>;
}

/** A graphql-ws client as a browser or the CLI would open it, on the gateway's /graphql path. */
export function openLiveClient(httpUrl: string, token: string | null): LiveClient {
  let closed: Closed | null = null;
  const client = createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token === null ? {} : { authorization: `Bearer ${token}` },
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => undefined,
    on: {
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        closed = { code, reason: String(reason) };
      },
    },
  });
  return { client, closed: () => closed, dispose: () => client.dispose() as Promise<void> };
}

/** What one subscription received so far; tests wait on it with conditions, never with sleeps. */
export class Received<T> {
  readonly data: T[] = [];
  readonly errors: FormattedExecutionResult['errors'][] = [];
  completed = false;
  readonly stop: () => void;

  constructor(client: Client, query: string, variables: Record<string, unknown>) {
    this.stop = client.subscribe<T>(
      { query, variables },
      {
        next: (result) => {
          if (result.errors) this.errors.push(result.errors);
          if (result.data) this.data.push(result.data);
        },
        // An operation error arrives as the server's error list; a lost socket as its close event.
        error: (error) =>
          this.errors.push(Array.isArray(error) ? error : [{ message: `connection ended: ${JSON.stringify(error)}` }]),
        complete: () => {
          this.completed = true;
        },
      },
    );
  }

  until(what: string, found: (item: T) => boolean): Promise<T> {
    return eventually(what, async () => {
      if (this.errors.length > 0) throw new Error(`subscription failed: ${JSON.stringify(this.errors)}`);
      return this.data.find(found);
    });
  }
}
