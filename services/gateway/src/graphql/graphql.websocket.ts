import type { IncomingMessage } from 'node:http';
import { Logger, type INestApplication } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { GraphQLError, parse, specifiedRules, validate, type GraphQLFormattedError } from 'graphql';
import type { Context, ServerOptions } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { AuthService, AuthenticatedTown } from '../auth/auth.service';
import { formatGraphQLError } from './graphql.errors';
import { MAX_QUERY_DEPTH, MAX_QUERY_TOKENS, maxDepthRule } from './graphql.limits';

/** The close code of a connection without a valid town token (HTTP's 401, in the 4xxx range graphql-ws leaves to servers). */
export const WS_UNAUTHORIZED = 4401;
const WS_INTERNAL_ERROR = 4500;
/** Each subscription holds a stream consumer; a connection opening more is a client bug or abuse. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 16;
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

/** Errors graphql-ws reports before a subscription runs (validation, limits) are the client's. */
function clientError(error: GraphQLError): GraphQLFormattedError {
  if (error.originalError) return formatGraphQLError(error.toJSON(), error);
  const { message, locations, path } = error.toJSON();
  return { message, locations, path, extensions: { code: String(error.extensions['code'] ?? 'BAD_USER_INPUT') } };
}

/**
 * graphql-ws options for the gateway: the token travels in connectionParams (browsers cannot
 * set headers on a WebSocket) and is checked once, on connection_init; the same limits and the
 * same error policy as over HTTP apply to every operation on the socket.
 */
export function websocketOptions(auth: AuthService): Partial<ServerOptions<Record<string, unknown> | undefined, SocketExtra>> {
  return {
    parse: (source) => parse(source, { maxTokens: MAX_QUERY_TOKENS }),
    validate: (schema, document) => validate(schema, document, [...specifiedRules, maxDepthRule(MAX_QUERY_DEPTH)]),
    onConnect: async (ctx) => {
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
      // The new subscription is already reserved in ctx.subscriptions.
      if (Object.keys(ctx.subscriptions).length > MAX_SUBSCRIPTIONS_PER_CONNECTION) {
        return [
          new GraphQLError(`at most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} operations may run at once on one connection`, {
            extensions: { code: 'BAD_USER_INPUT' },
          }),
        ];
      }
      return undefined;
    },
    onNext: (_ctx, _id, _payload, _args, result) =>
      result.errors ? { ...result, errors: result.errors.map((error) => formatGraphQLError(error.toJSON(), error)) } : undefined,
    onError: (_ctx, _id, _payload, errors) => errors.map(clientError),
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
