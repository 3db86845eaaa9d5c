import { Module } from '@nestjs/common';
import { BusModule } from '../bus/bus.module';
import { ConvoyHoldsResolver, TownHoldsResolver } from './holds.resolver';
import { HoldsService } from './holds.service';

@Module({
  imports: [BusModule],
  providers: [HoldsService, ConvoyHoldsResolver, TownHoldsResolver],
  exports: [HoldsService],
})
export class HoldsModule {}
