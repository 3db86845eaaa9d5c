import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import {
  defaultFieldResolver,
  getNamedType,
  getNullableType,
  GraphQLError,
  isCompositeType,
  isListType,
  isObjectType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from 'graphql';
import type { AuthenticatedTown } from '../auth/auth.service';
import type { TimeSlicer } from './graphql.time-slice';

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
  /**
   * The request's turns on the event loop (see TimeSlicer), given by the fair-share plugin to
   * heavy reads only: cheap ones run whole, so their DataLoader batches are never split.
   */
  slicer?: TimeSlicer;
}

/**
 * A list's items, each completed by graphql-js in the request's time slices: graphql-js completes
 * every item of a list (2,000 beads and each of their fields) in one synchronous pass, unless the
 * item is a promise, whose completion waits for it.
 */
function inSlices(value: unknown, slicer: TimeSlicer): unknown {
  const items = (list: unknown) => (Array.isArray(list) ? list.map((item: unknown) => slicer.run(() => item)) : list);
  return value instanceof Promise ? value.then(items) : items(value);
}

/**
 * Makes every resolver of the schema stop once its request's deadline has passed (see
 * QueryDeadline), and run in its request's time slices, so a large answer lets others' requests in.
 */
export function withExecutionLimits(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve = field.resolve ?? defaultFieldResolver;
      const limited = (source: unknown, args: Record<string, unknown>, context: Partial<GatewayContext> | undefined, info: GraphQLResolveInfo) =>
        context?.deadline?.passed() ? Promise.reject(context.deadline.error()) : resolve(source, args, context, info);
      const listOfObjects = isListType(getNullableType(field.type)) && isCompositeType(getNamedType(field.type));
      field.resolve = (source, args, context: Partial<GatewayContext> | undefined, info) => {
        const slicer = context?.slicer;
        if (!slicer) return limited(source, args, context, info);
        const value = slicer.run(() => limited(source, args, context, info));
        return listOfObjects ? inSlices(value, slicer) : value;
      };
    }
  }
  return schema;
}

export const Ctx = createParamDecorator(
  (_: unknown, execution: ExecutionContext): GatewayContext => GqlExecutionContext.create(execution).getContext<GatewayContext>(),
);
