import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
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

export interface GatewayContext {
  /** The town of the bearer token; every read and write of the request is scoped to it. */
  readonly town: AuthenticatedTown;
  readonly loaders: RequestLoaders;
}

export const Ctx = createParamDecorator(
  (_: unknown, execution: ExecutionContext): GatewayContext => GqlExecutionContext.create(execution).getContext<GatewayContext>(),
);
