import { Logger } from '@nestjs/common';
import { redactCredentials, type ErrorCode } from '@gastown/contracts';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, GraphQLFormattedError } from 'graphql';

/** Builds the only kind of error a resolver should throw: a code the API documents, and safe details. */
export function apiError(code: ErrorCode, message: string, details: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { ...details, code } });
}

export const notFound = (what: string, id: string) => apiError('NOT_FOUND', `${what} ${id} not found`, { id });

const PASSED_THROUGH: ReadonlySet<string> = new Set([
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'UNAUTHENTICATED',
  'UNAVAILABLE',
  'QUERY_TOO_COSTLY',
  'RATE_LIMITED',
  'DEADLINE_EXCEEDED',
]);

/** Apollo's own request errors: all caused by what the client sent, and their messages are safe to show. */
const CLIENT_REQUEST_CODES: ReadonlySet<string> = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

/** Never sent to clients even when a known error carries them. */
const PRIVATE_EXTENSIONS = ['stacktrace', 'exception', 'originalError', 'http'];

const logger = new Logger('GraphQL');

function publicExtensions(extensions: Record<string, unknown> | undefined, code: string): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...extensions };
  for (const key of PRIVATE_EXTENSIONS) delete copy[key];
  return { ...copy, code };
}

/**
 * The last word on what leaves the server. Errors the API raised on purpose keep their message
 * and details; request errors become BAD_USER_INPUT; everything else is logged here and leaves
 * as a bare INTERNAL so no stack, SQL or connection string reaches a client.
 */
export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  const code = String(formatted.extensions?.['code'] ?? '');
  const { message, locations, path } = formatted;
  const raisedOnPurpose = original instanceof GraphQLError && original.originalError === undefined;
  if (PASSED_THROUGH.has(code) && (raisedOnPurpose || CLIENT_REQUEST_CODES.has(code))) {
    return { message, locations, path, extensions: publicExtensions(formatted.extensions, code) };
  }
  if (CLIENT_REQUEST_CODES.has(code)) {
    return { message, locations, path, extensions: { code: 'BAD_USER_INPUT' } };
  }
  const cause = original instanceof Error ? original : error;
  const where = path ? ` at ${path.join('.')}` : '';
  logger.error(
    // Driver errors quote connection strings; a token could only appear if echoed by accident.
    redactCredentials(`unexpected error${where}: ${cause instanceof Error ? cause.message : String(cause)}`),
    cause instanceof Error && cause.stack ? redactCredentials(cause.stack) : undefined,
  );
  return { message: 'internal error', path: formatted.path, extensions: { code: 'INTERNAL' } };
}
