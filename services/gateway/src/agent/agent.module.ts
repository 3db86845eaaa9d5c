import { Module } from '@nestjs/common';
import { BeadModule } from '../bead/bead.module';
import { BusModule } from '../bus/bus.module';
import { RigModule } from '../rig/rig.module';
import { AgentHeartbeats } from './agent.heartbeats';
import { AgentLoaders } from './agent.loaders';
import { AgentResolver } from './agent.resolver';
import { AgentService } from './agent.service';
import { RigAgentsResolver } from './rig-agents.resolver';

@Module({
  imports: [BusModule, BeadModule, RigModule],
  providers: [AgentLoaders, AgentHeartbeats, AgentService, AgentResolver, RigAgentsResolver],
})
export class AgentModule {}
