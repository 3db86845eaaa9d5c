import { DynamicModule, Module } from '@nestjs/common';
import { AgentModule } from './agent/agent.module';
import { BeadModule } from './bead/bead.module';
import { BusModule } from './bus/bus.module';
import { ConfigModule } from './config/config.module';
import type { GatewayConfig } from './config/gateway.config';
import { ConvoyModule } from './convoy/convoy.module';
import { GraphqlModule } from './graphql/graphql.module';
import { HealthModule } from './health/gateway.health';
import { HeavyReadsModule } from './heavy-reads/heavy-reads.module';
import { HistoryModule } from './history/history.module';
import { LiveModule } from './live/live.module';
import { MergeQueueModule } from './merge-queue/merge-queue.module';
import { ProjectionModule } from './projection/projection.module';
import { ReadModelsModule } from './read-models/read-models.module';
import { RigModule } from './rig/rig.module';
import { TownModule } from './town/town.module';
import { WebhookModule } from './webhook/webhook.module';

@Module({})
export class AppModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ReadModelsModule,
        BusModule,
        ProjectionModule,
        GraphqlModule,
        TownModule,
        RigModule,
        ConvoyModule,
        BeadModule,
        AgentModule,
        HistoryModule,
        LiveModule,
        MergeQueueModule,
        WebhookModule,
        HeavyReadsModule,
        ...(config.readerOnly ? [] : [HealthModule]),
      ],
    };
  }
}
