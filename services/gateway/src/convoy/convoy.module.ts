import { Module } from '@nestjs/common';
import { CommandModule } from '../command/command.module';
import { RigModule } from '../rig/rig.module';
import { ConvoyLoaders } from './convoy.loaders';
import { ConvoyResolver } from './convoy.resolver';
import { ConvoyService } from './convoy.service';

@Module({
  imports: [CommandModule, RigModule],
  providers: [ConvoyLoaders, ConvoyService, ConvoyResolver],
  exports: [ConvoyLoaders],
})
export class ConvoyModule {}
