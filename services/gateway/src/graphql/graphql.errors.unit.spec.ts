import { Logger } from '@nestjs/common';
import { GraphQLError } from 'graphql';
import { apiError, formatGraphQLError } from './graphql.errors';

/** What graphql-js hands formatError for an error thrown inside a resolver. */
function fromResolver(thrown: Error): GraphQLError {
  return new GraphQLError(thrown.message, { path: ['convoy'], originalError: thrown });
}

describe('formatGraphQLError', () => {
  let logged: jest.SpyInstance;
  beforeEach(() => {
    logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('given an API error with details, when formatted, then code, message and details reach the client', () => {
    const error = fromResolver(apiError('BAD_USER_INPUT', 'tasks 0 → 1 → 0 form a cycle', { cycle: [0, 1, 0] }));
    const formatted = formatGraphQLError({ message: error.message, path: ['convoy'], extensions: { code: 'BAD_USER_INPUT', cycle: [0, 1, 0] } }, error);
    expect(formatted).toEqual({
      message: 'tasks 0 → 1 → 0 form a cycle',
      path: ['convoy'],
      extensions: { code: 'BAD_USER_INPUT', cycle: [0, 1, 0] },
    });
  });

  it('given an unexpected error carrying secrets, when formatted, then the client sees only INTERNAL', () => {
    const thrown = new Error('connect ECONNREFUSED postgres://gastown:hunter2@db:5432/gastown');
    const error = fromResolver(thrown);
    const formatted = formatGraphQLError(
      { message: error.message, path: ['convoy'], extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at x'] } },
      error,
    );
    expect(formatted).toEqual({ message: 'internal error', path: ['convoy'], extensions: { code: 'INTERNAL' } });
    expect(logged).toHaveBeenCalledTimes(1);
    expect(JSON.stringify(logged.mock.calls)).toContain('ECONNREFUSED');
    expect(JSON.stringify(logged.mock.calls)).not.toContain('hunter2');
  });

  it('given an unexpected error quoting a town token, when formatted, then the log line names the error without the token', () => {
    const error = fromResolver(new Error('token gt_AbCdEfGhIjKlMnOpQrStUv was echoed by nats://u:p@n:4222'));
    formatGraphQLError({ message: error.message, path: ['convoy'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }, error);
    const line = JSON.stringify(logged.mock.calls);
    expect(line).toContain('token gt_*** was echoed by nats://***@n:4222');
    expect(line).not.toContain('AbCdEfGhIjKlMnOpQrStUv');
  });

  it('given a foreign error that borrowed a public code, when formatted, then it is still INTERNAL', () => {
    const error = fromResolver(new GraphQLError('relation "beads" does not exist', { extensions: { code: 'NOT_FOUND' }, originalError: new Error('sql') }));
    const formatted = formatGraphQLError({ message: error.message, extensions: { code: 'NOT_FOUND' } }, error);
    expect(formatted.extensions).toEqual({ code: 'INTERNAL' });
  });

  it('given a GraphQL validation error, when formatted, then it is BAD_USER_INPUT with its message', () => {
    const error = new GraphQLError('Cannot query field "password" on type "Town".');
    const formatted = formatGraphQLError({ message: error.message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }, error);
    expect(formatted).toMatchObject({ message: 'Cannot query field "password" on type "Town".', extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('given a private extension on an API error, when formatted, then it is dropped', () => {
    const error = apiError('UNAUTHENTICATED', 'unknown town token', { http: { status: 401 } });
    const formatted = formatGraphQLError({ message: error.message, extensions: { ...error.extensions, stacktrace: ['x'] } }, error);
    expect(formatted.extensions).toEqual({ code: 'UNAUTHENTICATED' });
  });
});
