import { Module } from '@nestjs/common';
import { BeadHistoryResolver, ConvoyHistoryResolver } from './history.resolver';
import { HistoryService } from './history.service';

@Module({
  providers: [HistoryService, ConvoyHistoryResolver, BeadHistoryResolver],
  exports: [HistoryService],
})
export class HistoryModule {}
