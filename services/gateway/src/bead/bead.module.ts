import { Module } from '@nestjs/common';
import { CommandModule } from '../command/command.module';
import { ConvoyModule } from '../convoy/convoy.module';
import { RigModule } from '../rig/rig.module';
import { BeadAttemptLoaders } from './bead-attempt.loaders';
import { BeadAttemptResolver } from './bead-attempt.resolver';
import { BeadLoaders } from './bead.loaders';
import { BeadResolver } from './bead.resolver';
import { BeadService } from './bead.service';

@Module({
  imports: [CommandModule, ConvoyModule, RigModule],
  providers: [BeadLoaders, BeadService, BeadResolver, BeadAttemptLoaders, BeadAttemptResolver],
  exports: [BeadLoaders],
})
export class BeadModule {}
