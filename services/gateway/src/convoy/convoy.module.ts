import { Module } from '@nestjs/common';
import { CommandModule } from '../command/command.module';
import { HoldsModule } from '../holds/holds.module';
import { RigModule } from '../rig/rig.module';
import { ConvoyLoaders } from './convoy.loaders';
import { ConvoyResolver, DependencyEdgeResolver } from './convoy.resolver';
import { ConvoyService } from './convoy.service';

@Module({
  imports: [CommandModule, RigModule, HoldsModule],
  providers: [ConvoyLoaders, ConvoyService, ConvoyResolver, DependencyEdgeResolver],
  exports: [ConvoyLoaders],
})
export class ConvoyModule {}
