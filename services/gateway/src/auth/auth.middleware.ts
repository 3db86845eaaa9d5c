import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphQLError } from 'graphql';
import type { AuthService, AuthenticatedTown } from './auth.service';

/** Towns proven by the middleware, so the GraphQL context does not look the token up twice. */
const proven = new WeakMap<IncomingMessage, AuthenticatedTown>();

function isUnauthenticated(error: unknown): error is GraphQLError {
  return error instanceof GraphQLError && error.extensions['code'] === 'UNAUTHENTICATED';
}

/**
 * Checks the bearer token before anything reads the body: an unauthenticated client must not
 * make the gateway buffer and parse 60 MB. The refusal has the shape of every GraphQL error,
 * and the connection is closed rather than drained, so the unread body is never received.
 * A failure to check (the database is down) goes on to the GraphQL context, which tries again
 * and answers it as it answers every unexpected error.
 */
export function authenticateBeforeBody(auth: AuthService) {
  return (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void => {
    if (req.method === 'OPTIONS') return next();
    auth.authenticate(req.headers.authorization).then(
      (town) => {
        proven.set(req, town);
        next();
      },
      (error: unknown) => {
        if (!isUnauthenticated(error)) return next();
        res.statusCode = 401;
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.setHeader('connection', 'close');
        res.end(JSON.stringify({ errors: [{ message: error.message, extensions: { code: 'UNAUTHENTICATED' } }] }));
      },
    );
  };
}

/** The town the middleware proved for this request, if it did (not when the check itself failed). */
export function provenTownOf(req: IncomingMessage): AuthenticatedTown | undefined {
  return proven.get(req);
}

/** The town of an HTTP request: the one the middleware proved, or checked now. */
export function authenticatedTown(req: IncomingMessage, auth: AuthService): Promise<AuthenticatedTown> {
  const town = proven.get(req);
  return town ? Promise.resolve(town) : auth.authenticate(req.headers.authorization);
}
