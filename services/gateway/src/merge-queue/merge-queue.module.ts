import { Module } from '@nestjs/common';
import { BeadModule } from '../bead/bead.module';
import { LiveModule } from '../live/live.module';
import { RigModule } from '../rig/rig.module';
import { MergeQueueLoaders } from './merge-queue.loaders';
import { MergeQueueChangeResolver, MergeQueueEntryResolver, RigMergeQueueResolver } from './merge-queue.resolver';
import { MergeQueueService } from './merge-queue.service';

@Module({
  imports: [BeadModule, LiveModule, RigModule],
  providers: [MergeQueueLoaders, MergeQueueService, RigMergeQueueResolver, MergeQueueEntryResolver, MergeQueueChangeResolver],
})
export class MergeQueueModule {}
