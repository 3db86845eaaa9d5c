import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { GatewayError, type GatewayErrorCode } from './gateway.errors';

export interface GatewayClientOptions {
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  readonly url: string;
  /** A town token (gt_…): every call is scoped to that town. */
  readonly token: string;
  readonly timeoutMs?: number;
  /** The WebSocket class for subscriptions: ws under Node, the browser's own in a page. */
  readonly webSocketImpl?: unknown;
  /** Failed reconnects in a row before a subscription gives up; a dashboard left open waits forever. */
  readonly maxReconnects?: number;
  /**
   * How long one request may wait in all for the gateway's RATE_LIMITED retryAfterMs before the
   * error reaches the caller; 0 surfaces it at once (e.g. a UI that shows its own countdown).
   */
  readonly maxRateLimitWaitMs?: number;
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

const KNOWN_CODES: ReadonlySet<string> = new Set([
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'UNAUTHENTICATED',
  'UNAVAILABLE',
  'INTERNAL',
  'RATE_LIMITED',
  'QUERY_TOO_COSTLY',
  'DEADLINE_EXCEEDED',
]);

/** A short wait for the town's bucket to refill is better than failing a command. */
const DEFAULT_MAX_RATE_LIMIT_WAIT_MS = 10_000;

function toGatewayError(error: { message: string; extensions?: Record<string, unknown> }): GatewayError {
  const { code, ...details } = error.extensions ?? {};
  const known = typeof code === 'string' && KNOWN_CODES.has(code) ? (code as GatewayErrorCode) : 'INTERNAL';
  return new GatewayError(known, error.message, details);
}

export interface Subscription {
  /** Stops the subscription and closes its socket. */
  close(): Promise<void>;
}

export interface SubscriptionSink<T> {
  next(value: T): void;
  /** The subscription ended for good: refused (GatewayError) or the server went away for longer than the retries. */
  error(error: GatewayError): void;
  /** Told once per lost connection, before the client reconnects by itself. */
  reconnecting?(): void;
  /** Told each time the socket is (re)connected and accepted, e.g. to clear a "reconnecting…" notice. */
  connected?(): void;
  complete?(): void;
}

/**
 * The one way our tools speak to the gateway: GraphQL over HTTP for queries and mutations,
 * graphql-ws for subscriptions. It only knows the API, never a service's internals.
 */
export class GatewayClient {
  readonly url: string;
  private readonly token: string;
  private readonly timeoutMs: number;
  private readonly webSocketImpl: unknown;
  private readonly maxReconnects: number;
  private readonly maxRateLimitWaitMs: number;

  constructor(options: GatewayClientOptions) {
    this.url = options.url;
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.webSocketImpl = options.webSocketImpl ?? WebSocket;
    this.maxReconnects = options.maxReconnects ?? MAX_RECONNECTS;
    this.maxRateLimitWaitMs = options.maxRateLimitWaitMs ?? DEFAULT_MAX_RATE_LIMIT_WAIT_MS;
  }

  /**
   * Sends one operation. A RATE_LIMITED answer is retried after the wait the gateway asked for
   * while the waits add up to at most maxRateLimitWaitMs: the gateway refuses such a request
   * before running it, so sending it again never does anything twice, mutations included.
   */
  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    let waited = 0;
    for (;;) {
      try {
        return await this.requestOnce<T>(query, variables);
      } catch (error) {
        const wait = error instanceof GatewayError ? error.retryAfterMs : null;
        if (wait === null || waited + wait > this.maxRateLimitWaitMs) throw error;
        waited += wait;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  private async requestOnce<T>(query: string, variables: Record<string, unknown>): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      // fetch says only "fetch failed"; the cause says why (ECONNREFUSED, ENOTFOUND, a timeout).
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new GatewayError('UNREACHABLE', `the gateway at ${this.url} did not answer: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    }
    let body: GraphQLResponse<T>;
    try {
      body = (await response.json()) as GraphQLResponse<T>;
    } catch {
      throw new GatewayError('UNREACHABLE', `the gateway at ${this.url} answered HTTP ${response.status} without a GraphQL body`);
    }
    if (body.errors?.length) throw toGatewayError(body.errors[0]);
    if (!body.data) throw new GatewayError('INTERNAL', `the gateway at ${this.url} answered HTTP ${response.status} with no data`);
    return body.data;
  }

  /**
   * Follows a subscription. On a lost connection it reconnects with back-off and subscribes
   * again with fresh `resumeVariables()`, which is where a caller puts the last sequence it
   * saw, so nothing is missed or repeated across the gap. (graphql-ws's own retry would
   * resend the original variables.)
   */
  subscribe<T>(query: string, resumeVariables: () => Record<string, unknown>, sink: SubscriptionSink<T>): Subscription {
    let closing = false;
    let client: Client | undefined;
    let failures = 0;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;

    const fail = (error: GatewayError): void => {
      if (closing) return;
      closing = true;
      void client?.dispose();
      sink.error(error);
    };

    const connect = (): void => {
      let delivered = false;
      const current = createClient({
        url: this.url.replace(/^http/, 'ws'),
        webSocketImpl: this.webSocketImpl,
        connectionParams: { authorization: `Bearer ${this.token}` },
        retryAttempts: 0,
        on: {
          connected: () => {
            failures = 0;
            sink.connected?.();
          },
        },
      });
      client = current;
      current.subscribe<T>(
        { query, variables: resumeVariables() },
        {
          next: (result) => {
            if (result.errors?.length) {
              fail(toGatewayError(result.errors[0] as { message: string; extensions?: Record<string, unknown> }));
              return;
            }
            delivered = true;
            if (result.data) sink.next(result.data as T);
          },
          error: (error) => {
            if (closing) return;
            const refusal = toRefusal(error);
            // The gateway ended the subscription for now (the town spent its budget, or this client read too
            // slowly): subscribing again after the last change seen misses nothing.
            const resumable = refusal !== null && (refusal.code === 'RATE_LIMITED' || refusal.code === 'UNAVAILABLE');
            if (refusal && !resumable) return fail(refusal);
            void current.dispose();
            failures = delivered ? 1 : failures + 1;
            if (failures > this.maxReconnects) return fail(refusal ?? socketError(error, this.url));
            sink.reconnecting?.();
            const backOff = Math.min(200 * 2 ** (failures - 1), 5_000);
            retryTimer = setTimeout(connect, Math.max(backOff, refusal?.retryAfterMs ?? 0));
          },
          complete: () => {
            if (closing) return;
            closing = true;
            void current.dispose();
            sink.complete?.();
          },
        },
      );
    };
    connect();
    return {
      close: async () => {
        closing = true;
        if (retryTimer) clearTimeout(retryTimer);
        await client?.dispose();
      },
    };
  }
}

/** About two minutes of failed reconnects (back-off capped at 5 s): long enough for a gateway to be redeployed. */
const MAX_RECONNECTS = 30;

/** GraphQL errors from the server, or a close with 4401/4403 (the token): retrying cannot help. */
function toRefusal(error: unknown): GatewayError | null {
  if (Array.isArray(error) && error.length > 0) return toGatewayError(error[0] as { message: string });
  const code = (error as { code?: number } | null)?.code;
  if (code === 4401 || code === 4403) {
    return new GatewayError('UNAUTHENTICATED', (error as { reason?: string }).reason || 'the gateway refused the token');
  }
  if (code === 4400) return new GatewayError('BAD_USER_INPUT', (error as { reason?: string }).reason || 'the gateway refused the subscription');
  return null;
}

function socketError(error: unknown, url: string): GatewayError {
  const event = error as { code?: number; reason?: string } | null;
  if (event && typeof event.code === 'number') {
    return new GatewayError('UNREACHABLE', `the subscription to ${url} closed (${event.code}${event.reason ? `: ${event.reason}` : ''})`);
  }
  return new GatewayError('UNREACHABLE', `the subscription to ${url} failed: ${error instanceof Error ? error.message : String(error)}`);
}
