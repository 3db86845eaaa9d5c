import { ArgumentsHost, Catch } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { GqlContextType } from '@nestjs/graphql';

/**
 * Hands resolver errors to GraphQL unlogged: expected ones (NOT_FOUND, CONFLICT…) are answers,
 * not incidents, and formatGraphQLError logs the unexpected ones once, where it also hides them.
 * Anything outside GraphQL keeps Nest's default handling.
 */
@Catch()
export class GraphQLExceptionFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): unknown {
    if (host.getType<GqlContextType>() !== 'graphql') return super.catch(exception, host);
    return exception;
  }
}
