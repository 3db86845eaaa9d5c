import { Module } from '@nestjs/common';
import { CommandModule } from '../command/command.module';
import { RigLoaders } from './rig.loaders';
import { RigResolver } from './rig.resolver';
import { RigService } from './rig.service';

@Module({ imports: [CommandModule], providers: [RigLoaders, RigService, RigResolver], exports: [RigLoaders] })
export class RigModule {}
