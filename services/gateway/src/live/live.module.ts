import { Module } from '@nestjs/common';
import { BusModule } from '../bus/bus.module';
import { HistoryModule } from '../history/history.module';
import { ProjectionModule } from '../projection/projection.module';
import { LiveResolver } from './live.resolver';
import { LiveService } from './live.service';

@Module({ imports: [BusModule, ProjectionModule, HistoryModule], providers: [LiveService, LiveResolver], exports: [LiveService] })
export class LiveModule {}
