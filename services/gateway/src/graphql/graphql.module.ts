import type { IncomingMessage } from 'node:http';
import { ApolloDriver, ApolloDriverConfig } from '@nestjs/apollo';
import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { AuthModule } from '../auth/auth.module';
import { AuthService } from '../auth/auth.service';
import { GatewayContext, RequestLoaders } from './graphql.context';
import { formatGraphQLError } from './graphql.errors';
import { GraphQLExceptionFilter } from './graphql.exception-filter';
import { MAX_QUERY_DEPTH, MAX_QUERY_TOKENS, maxDepthRule, QuerySizeMiddleware } from './graphql.limits';

export const GRAPHQL_PATH = '/graphql';

@Module({
  imports: [
    GraphQLModule.forRootAsync<ApolloDriverConfig>({
      driver: ApolloDriver,
      imports: [AuthModule],
      inject: [AuthService],
      useFactory: (auth: AuthService): ApolloDriverConfig => ({
        path: GRAPHQL_PATH,
        autoSchemaFile: true,
        sortSchema: true,
        playground: false,
        includeStacktraceInErrorResponses: false,
        formatError: formatGraphQLError,
        validationRules: [maxDepthRule(MAX_QUERY_DEPTH)],
        parseOptions: { maxTokens: MAX_QUERY_TOKENS },
        // Authentication happens once per request, before parsing, and fails the request as a whole.
        context: async ({ req }: { req: IncomingMessage }): Promise<GatewayContext> => ({
          town: await auth.authenticate(req.headers.authorization),
          loaders: new RequestLoaders(),
        }),
      }),
    }),
  ],
  providers: [{ provide: APP_FILTER, useClass: GraphQLExceptionFilter }],
})
export class GraphqlModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(QuerySizeMiddleware).forRoutes(GRAPHQL_PATH);
  }
}
