import type { IncomingMessage } from 'node:http';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloDriver, ApolloDriverConfig } from '@nestjs/apollo';
import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { GraphQLModule, type GraphQLWsSubscriptionsConfig } from '@nestjs/graphql';
import { DataSource } from 'typeorm';
import { AuthModule } from '../auth/auth.module';
import { authenticatedTown } from '../auth/auth.middleware';
import { AuthService } from '../auth/auth.service';
import { GATEWAY_CONFIG } from '../config/config.module';
import { DEFAULT_FAIR_SHARE, type GatewayConfig } from '../config/gateway.config';
import { GatewayContext, QueryDeadline, RequestLoaders, withExecutionLimits } from './graphql.context';
import { LargeResponseMiddleware, stringifyInSlices } from './graphql.response';
import { formatGraphQLError } from './graphql.errors';
import { FairShare, fairSharePlugin } from './graphql.fair-share';
import { telemetryPlugin } from './graphql.telemetry';
import { TownBoundsReader } from './graphql.town-bounds';
import { HEAVY_READS } from '../heavy-reads/heavy-reads.module';
import type { HeavyReadsPool } from '../heavy-reads/heavy-reads.pool';
import { GraphQLExceptionFilter } from './graphql.exception-filter';
import { MAX_QUERY_DEPTH, MAX_QUERY_TOKENS, maxDepthRule, QuerySizeMiddleware } from './graphql.limits';
import { isSocketContext, townOfSocket, websocketOptions, type SocketContext } from './graphql.websocket';

export const GRAPHQL_PATH = '/graphql';

@Module({
  imports: [
    GraphQLModule.forRootAsync<ApolloDriverConfig>({
      driver: ApolloDriver,
      imports: [AuthModule],
      inject: [AuthService, GATEWAY_CONFIG, DataSource, HEAVY_READS],
      useFactory: (auth: AuthService, config: GatewayConfig, db: DataSource, heavyReads: HeavyReadsPool | null): ApolloDriverConfig => {
        const bounds = new TownBoundsReader(db);
        // One budget per town for its queries and the changes its subscriptions receive.
        const fairShare = new FairShare(config.fairShare ?? DEFAULT_FAIR_SHARE, (townId) => bounds.of(townId));
        return {
          path: GRAPHQL_PATH,
          autoSchemaFile: true,
          sortSchema: true,
          playground: false,
          includeStacktraceInErrorResponses: false,
          formatError: formatGraphQLError,
          validationRules: [maxDepthRule(MAX_QUERY_DEPTH)],
          plugins: [ApolloServerPluginCacheControlDisabled(), fairSharePlugin(fairShare, heavyReads), telemetryPlugin()],
          parseOptions: { maxTokens: MAX_QUERY_TOKENS },
          stringifyResult: stringifyInSlices,
          // Nest's type names a subset of graphql-ws's options, but it hands them all to useServer.
          subscriptions: { 'graphql-ws': websocketOptions(auth, fairShare) as GraphQLWsSubscriptionsConfig },
          // Over HTTP, authentication happens once per request, before the body is read, and fails the
          // request as a whole; over a WebSocket, once per connection (websocketOptions).
          context: async (request: { req: IncomingMessage } | SocketContext): Promise<GatewayContext> => ({
            town: isSocketContext(request) ? townOfSocket(request) : await authenticatedTown(request.req, auth),
            loaders: new RequestLoaders(),
            deadline: new QueryDeadline(),
          }),
          transformSchema: withExecutionLimits,
        };
      },
    }),
  ],
  providers: [{ provide: APP_FILTER, useClass: GraphQLExceptionFilter }],
})
export class GraphqlModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(QuerySizeMiddleware, LargeResponseMiddleware).forRoutes(GRAPHQL_PATH);
  }
}
