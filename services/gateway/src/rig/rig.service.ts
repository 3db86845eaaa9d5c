import { Injectable } from '@nestjs/common';
import { nameUuid } from '@gastown/contracts';
import { DataSource } from 'typeorm';
import { RigRow } from '../read-models/read-models.entities';
import { CommandService } from '../command/command.service';
import type { GatewayContext } from '../graphql/graphql.context';
import { notFound } from '../graphql/graphql.errors';
import { RigLoaders } from './rig.loaders';
import type { RegisterRigInput } from './rig.inputs';

@Injectable()
export class RigService {
  constructor(
    private readonly db: DataSource,
    private readonly loaders: RigLoaders,
    private readonly commands: CommandService,
  ) {}

  list(townId: string): Promise<RigRow[]> {
    return this.db.getRepository(RigRow).find({ where: { townId }, order: { name: 'ASC' } });
  }

  async get(ctx: GatewayContext, id: string): Promise<RigRow> {
    const rig = await this.loaders.byId(ctx).load(id);
    if (!rig) throw notFound('rig', id);
    return rig;
  }

  async register(ctx: GatewayContext, input: RegisterRigInput): Promise<RigRow> {
    const townId = ctx.town.id;
    const commandId = this.commands.commandIdOf(input.commandId);
    // Derived from the command id, so a retried registration names the same rig.
    const rigId = nameUuid(townId, `rig:${commandId}`);
    await this.commands.town(ctx, commandId, {
      type: 'RegisterRig',
      data: { rigId, name: input.name, gitUrl: input.gitUrl, defaultBranch: input.defaultBranch },
    });
    return this.get(ctx, rigId);
  }
}
