import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import { defaultFieldResolver, GraphQLError, isObjectType, type GraphQLSchema } from 'graphql';
import type { AuthenticatedTown } from '../auth/auth.service';

/**
 * Per-request memo of DataLoaders. Features register their loaders lazily under their own keys,
 * so a request only builds what it uses and nothing is shared between requests (or towns).
 */
export class RequestLoaders {
  private readonly loaders = new Map<symbol, unknown>();

  get<T>(key: symbol, create: () => T): T {
    if (!this.loaders.has(key)) this.loaders.set(key, create());
    return this.loaders.get(key) as T;
  }

  /**
   * Called after each write: mutations run one after another within a request, and a later
   * one must not answer from rows an earlier one loaded before its own change.
   */
  clear(): void {
    this.loaders.clear();
  }
}

/**
 * When a query must stop (GATEWAY_QUERY_DEADLINE_MS). Resolvers past it answer a rejected
 * promise rather than throw: graphql-js 16 leaves the other items of a list unhandled when one
 * throws synchronously in a non-null position, and that unhandled rejection would end the process.
 */
export class QueryDeadline {
  private at = Number.POSITIVE_INFINITY;
  private limitMs = 0;
  exceeded = false;

  start(limitMs: number, now = Date.now()): void {
    this.limitMs = limitMs;
    this.at = now + limitMs;
  }

  passed(now = Date.now()): boolean {
    if (now > this.at) this.exceeded = true;
    return this.exceeded;
  }

  error(): GraphQLError {
    return new GraphQLError(`the operation ran past the ${this.limitMs} ms deadline and was aborted; ask for less at once`, {
      extensions: { code: 'DEADLINE_EXCEEDED', deadlineMs: this.limitMs },
    });
  }
}

export interface GatewayContext {
  /** The town of the bearer token; every read and write of the request is scoped to it. */
  readonly town: AuthenticatedTown;
  readonly loaders: RequestLoaders;
  readonly deadline: QueryDeadline;
}

/** Makes every resolver of the schema stop once its request's deadline has passed (see QueryDeadline). */
export function withDeadlines(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context: Partial<GatewayContext> | undefined, info) =>
        context?.deadline?.passed() ? Promise.reject(context.deadline.error()) : resolve(source, args, context, info);
    }
  }
  return schema;
}

export const Ctx = createParamDecorator(
  (_: unknown, execution: ExecutionContext): GatewayContext => GqlExecutionContext.create(execution).getContext<GatewayContext>(),
);
