import type { IncomingMessage } from 'node:http';
import { Logger, type INestApplication } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { getOperationAST, GraphQLError, parse, specifiedRules, validate, type GraphQLFormattedError } from 'graphql';
import type { Context, ServerOptions } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { AuthService, AuthenticatedTown } from '../auth/auth.service';
import { DEFAULT_FAIR_SHARE } from '../config/gateway.config';
import { formatGraphQLError } from './graphql.errors';
import { MAX_QUERY_DEPTH, MAX_QUERY_TOKENS, maxDepthRule } from './graphql.limits';
import { operationCost } from './graphql.cost';
import { FairShare } from './graphql.fair-share';
import { SharedResults, sharedSubscribe, type ChangeBilling } from './graphql.subscriptions';
import { observedSocketOperations, type SocketRun } from './graphql.telemetry';

/** The close code of a connection without a valid town token (HTTP's 401, in the 4xxx range graphql-ws leaves to servers). */
export const WS_UNAUTHORIZED = 4401;
const WS_INTERNAL_ERROR = 4500;
/** Each subscription holds a stream consumer; a connection opening more is a client bug or abuse. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = DEFAULT_FAIR_SHARE.maxSubscriptionsPerConnection;
/** The close code of a connection over its source's cap (HTTP's 429). */
export const WS_TOO_MANY_CONNECTIONS = 4429;
/**
 * A subscribe message is a query and its variables: a megabyte is plenty. ws's default, 100 MiB,
 * would let a client that has not even authenticated make the gateway buffer that much.
 */
export const MAX_WS_MESSAGE_BYTES = 1024 * 1024;
/** A WebSocket close reason must fit in 123 bytes. */
const CLOSE_REASON_BYTES = 123;

/** What graphql-ws puts in ctx.extra for the ws server, plus the town the connection proved it acts for. */
export interface SocketExtra {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
  town?: AuthenticatedTown;
}

export type SocketContext = Context<Record<string, unknown> | undefined, SocketExtra>;

const logger = new Logger('GraphQLWebSocket');

/** How long failures with the same message are counted instead of logged again. */
const FAILURE_LOG_WINDOW_MS = 10_000;

/**
 * When NATS or the database fails, every subscriber fails at once: one line per distinct
 * failure and window, with how many subscribers it hit, instead of a stack per subscriber.
 */
export class FailureLog {
  private readonly recent = new Map<string, { since: number; suppressed: number }>();

  constructor(
    private readonly write: (line: string) => void,
    private readonly clock: () => number = Date.now,
  ) {}

  failed(message: string): void {
    const now = this.clock();
    const seen = this.recent.get(message);
    if (seen && now - seen.since < FAILURE_LOG_WINDOW_MS) {
      seen.suppressed += 1;
      return;
    }
    const more = seen && seen.suppressed > 0 ? ` (and ${seen.suppressed} more subscribers in the last ${FAILURE_LOG_WINDOW_MS / 1000} s)` : '';
    this.write(`a subscription failed: ${message}${more}`);
    this.recent.set(message, { since: now, suppressed: 0 });
    for (const [key, value] of this.recent) if (now - value.since >= FAILURE_LOG_WINDOW_MS && key !== message) this.recent.delete(key);
  }
}

/** Live connections by town and by remote address, for the per-town and per-source caps. */
class SocketCounts {
  private readonly byTown = new Map<string, Set<SocketContext>>();
  private readonly bySource = new Map<string, number>();

  sourceCount(source: string): number {
    return this.bySource.get(source) ?? 0;
  }

  addSource(source: string): void {
    this.bySource.set(source, this.sourceCount(source) + 1);
  }

  removeSource(source: string): void {
    const left = this.sourceCount(source) - 1;
    if (left > 0) this.bySource.set(source, left);
    else this.bySource.delete(source);
  }

  addTown(townId: string, ctx: SocketContext): void {
    const set = this.byTown.get(townId) ?? new Set();
    set.add(ctx);
    this.byTown.set(townId, set);
  }

  removeTown(townId: string, ctx: SocketContext): void {
    const set = this.byTown.get(townId);
    set?.delete(ctx);
    if (set?.size === 0) this.byTown.delete(townId);
  }

  /** graphql-ws keeps ctx.subscriptions exact (an entry from subscribe until it ends), so the sum is too. */
  townSubscriptions(townId: string): number {
    let total = 0;
    for (const ctx of this.byTown.get(townId) ?? []) total += Object.keys(ctx.subscriptions).length;
    return total;
  }
}

const SOURCE = Symbol('source');
type CountedExtra = SocketExtra & { [SOURCE]?: string };

/** Apollo calls the context function with `{ req }`; graphql-ws with its connection context. */
export function isSocketContext(value: unknown): value is SocketContext {
  return typeof value === 'object' && value !== null && 'connectionInitReceived' in value && 'extra' in value;
}

/** The town a subscription acts for: set once per connection, when its token was checked. */
export function townOfSocket(ctx: SocketContext): AuthenticatedTown {
  const town = ctx.extra.town;
  if (!town) throw new GraphQLError('the connection is not authenticated', { extensions: { code: 'UNAUTHENTICATED' } });
  return town;
}

function closeReason(message: string): string {
  const bytes = Buffer.from(message);
  return bytes.length <= CLOSE_REASON_BYTES ? message : `${bytes.subarray(0, CLOSE_REASON_BYTES - 3).toString()}…`;
}

function isUnauthenticated(error: unknown): error is GraphQLError {
  return error instanceof GraphQLError && error.extensions['code'] === 'UNAUTHENTICATED';
}

/**
 * Errors graphql-ws reports before a subscription runs (validation, limits) are the client's;
 * one thrown while it ran and not raised on purpose is the server's, logged once per kind.
 */
function clientError(error: GraphQLError, failures: FailureLog): GraphQLFormattedError {
  if (error.originalError) {
    // graphql-ws wraps what a running subscription threw (e.g. RATE_LIMITED, or UNAVAILABLE for a subscriber that fell behind): the API's own error is the one to judge.
    if (error.originalError instanceof GraphQLError) return formatGraphQLError(error.originalError.toJSON(), error.originalError);
    failures.failed(error.message);
    return { message: 'internal error', extensions: { code: 'INTERNAL' } };
  }
  const { message, locations, path } = error.toJSON();
  return { message, locations, path, extensions: { code: String(error.extensions['code'] ?? 'BAD_USER_INPUT') } };
}

/**
 * Queries and mutations on the socket: refused. Their cost, rate and deadline are enforced by the
 * fair-share plugin, which only HTTP requests pass through; every client of the API sends them
 * over HTTP and keeps the socket for subscriptions.
 */
const refusedOnSocket: SocketRun = (args) => {
  const kind = getOperationAST(args.document, args.operationName)?.operation ?? 'query';
  return {
    errors: [
      new GraphQLError(`${kind === 'mutation' ? 'mutations' : 'queries'} are sent over HTTP (POST /graphql), where their cost and rate are limited; the WebSocket carries subscriptions only`, {
        extensions: { code: 'BAD_USER_INPUT' },
      }),
    ],
  };
};

function capError(message: string): GraphQLError[] {
  return [new GraphQLError(message, { extensions: { code: 'RATE_LIMITED' } })];
}

/**
 * graphql-ws options for the gateway: the token travels in connectionParams (browsers cannot
 * set headers on a WebSocket) and is checked once, on connection_init; the same size and depth
 * limits and the same error policy as over HTTP apply, subscriptions are capped per connection,
 * town and source, queries and mutations are refused (refusedOnSocket), and each operation is
 * measured and traced as over HTTP.
 */
export function websocketOptions(
  auth: AuthService,
  fair: FairShare = new FairShare(DEFAULT_FAIR_SHARE),
  failures: FailureLog = new FailureLog((line) => logger.warn(line)),
): Partial<ServerOptions<Record<string, unknown> | undefined, SocketExtra>> {
  const limits = fair.settings;
  const counts = new SocketCounts();
  const billing: ChangeBilling = {
    // A change is paid as delivered, from a bucket that holds queryCostBurst: no selection may cost more per change.
    admit: async (townId, args) => {
      const operation = getOperationAST(args.document, args.operationName);
      if (!operation) return null;
      const cost = operationCost(await fair.modelFor(townId), { schema: args.schema, document: args.document, operation, variables: args.variableValues ?? {} });
      if (cost <= limits.queryCostBurst) return null;
      return new GraphQLError(
        `the subscription could cost ${cost} per change, above the limit of ${limits.queryCostBurst} (what the town's query budget holds): ask for fewer items (first), fewer aliases or less nesting`,
        { extensions: { code: 'QUERY_TOO_COSTLY', cost, limit: limits.queryCostBurst } },
      );
    },
    wait: (townId) => fair.queryCost.of(townId).waitFor(1, fair.queryCost.now),
    charge: (townId, objects) => fair.queryCost.of(townId).charge(objects, fair.queryCost.now),
  };
  return {
    ...observedSocketOperations({ execute: refusedOnSocket, subscribe: sharedSubscribe(new SharedResults(), billing) }),
    parse: (source) => parse(source, { maxTokens: MAX_QUERY_TOKENS }),
    validate: (schema, document) => validate(schema, document, [...specifiedRules, maxDepthRule(MAX_QUERY_DEPTH)]),
    onConnect: async (ctx) => {
      const source = ctx.extra.request.socket.remoteAddress ?? 'unknown';
      if (counts.sourceCount(source) >= limits.maxConnectionsPerSource) {
        ctx.extra.socket.close(WS_TOO_MANY_CONNECTIONS, closeReason(`at most ${limits.maxConnectionsPerSource} connections from one address`));
        return false;
      }
      counts.addSource(source);
      (ctx.extra as CountedExtra)[SOURCE] = source;
      // HTTP header names are case-insensitive, and clients carry that habit into connectionParams.
      const params = ctx.connectionParams ?? {};
      const authorization = Object.entries(params).find(([key]) => key.toLowerCase() === 'authorization')?.[1];
      try {
        if (typeof authorization !== 'string') {
          throw new GraphQLError('missing credentials: send connectionParams { authorization: "Bearer <town token>" }', {
            extensions: { code: 'UNAUTHENTICATED' },
          });
        }
        ctx.extra.town = await auth.authenticate(authorization);
        counts.addTown(ctx.extra.town.id, ctx);
        return true;
      } catch (error) {
        if (isUnauthenticated(error)) {
          ctx.extra.socket.close(WS_UNAUTHORIZED, closeReason(error.message));
        } else {
          logger.error(`could not authenticate a connection: ${error instanceof Error ? error.message : String(error)}`);
          ctx.extra.socket.close(WS_INTERNAL_ERROR, 'internal error');
        }
        // The socket is already closing with the code above; graphql-ws's own close is ignored.
        return false;
      }
    },
    onSubscribe: (ctx) => {
      // The new subscription is already reserved in ctx.subscriptions, and so counted below.
      if (Object.keys(ctx.subscriptions).length > limits.maxSubscriptionsPerConnection) {
        return [
          new GraphQLError(`at most ${limits.maxSubscriptionsPerConnection} operations may run at once on one connection`, {
            extensions: { code: 'BAD_USER_INPUT' },
          }),
        ];
      }
      const town = ctx.extra.town;
      if (town && counts.townSubscriptions(town.id) > limits.maxSubscriptionsPerTown) {
        return capError(`the town already runs ${limits.maxSubscriptionsPerTown} subscriptions, its limit; end some before starting more`);
      }
      return undefined;
    },
    onClose: (ctx) => {
      const source = (ctx.extra as CountedExtra)[SOURCE];
      if (source !== undefined) counts.removeSource(source);
      if (ctx.extra.town) counts.removeTown(ctx.extra.town.id, ctx);
    },
    onNext: (_ctx, _id, _payload, _args, result) =>
      result.errors ? { ...result, errors: result.errors.map((error) => formatGraphQLError(error.toJSON(), error)) } : undefined,
    onError: (_ctx, _id, _payload, errors) => errors.map((error) => clientError(error, failures)),
  };
}

/**
 * Nest creates the graphql-ws WebSocket server itself and offers no option for its message size,
 * so the limit is set on the server it created (ws reads it at every upgrade). If a Nest upgrade
 * moves that server, the gateway refuses to start rather than run unbounded; a test covers it.
 */
export function limitWebSocketMessages(app: INestApplication): void {
  const adapter = app.get(GraphQLModule).graphQlAdapter as unknown as { _subscriptionService?: { wss?: WebSocketServer } };
  const wss = adapter._subscriptionService?.wss;
  if (!wss) throw new Error('the GraphQL WebSocket server was not found, so its message size cannot be bounded');
  wss.options.maxPayload = MAX_WS_MESSAGE_BYTES;
}
