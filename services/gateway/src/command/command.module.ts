import { Module } from '@nestjs/common';
import { BusModule } from '../bus/bus.module';
import { ProjectionModule } from '../projection/projection.module';
import { CommandService } from './command.service';

@Module({ imports: [BusModule, ProjectionModule], providers: [CommandService], exports: [CommandService] })
export class CommandModule {}
