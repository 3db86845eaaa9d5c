import { Module } from '@nestjs/common';
import { BusModule } from '../bus/bus.module';
import { CommandModule } from '../command/command.module';
import { RigLoaders } from './rig.loaders';
import { RigResolver } from './rig.resolver';
import { RigService } from './rig.service';

@Module({ imports: [BusModule, CommandModule], providers: [RigLoaders, RigService, RigResolver], exports: [RigLoaders] })
export class RigModule {}
