import { Module } from '@nestjs/common';
import { BusModule } from '../bus/bus.module';
import { BeadHistoryResolver, ConvoyHistoryResolver } from './history.resolver';
import { HistoryService } from './history.service';

@Module({
  imports: [BusModule],
  providers: [HistoryService, ConvoyHistoryResolver, BeadHistoryResolver],
  exports: [HistoryService],
})
export class HistoryModule {}
