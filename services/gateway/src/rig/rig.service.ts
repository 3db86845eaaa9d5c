import { Injectable } from '@nestjs/common';
import { nameUuid } from '@gastown/contracts';
import { DataSource } from 'typeorm';
import { RigRow } from '../read-models/read-models.entities';
import { CommandService } from '../command/command.service';
import type { GatewayContext } from '../graphql/graphql.context';
import { notFound } from '../graphql/graphql.errors';
import { RigLoaders } from './rig.loaders';
import type { RegisterRigInput, RigConfigInput } from './rig.inputs';

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
      data: { rigId, name: input.name, gitUrl: input.gitUrl, defaultBranch: input.defaultBranch, config: toRigConfig(input.config) },
    });
    return this.get(ctx, rigId);
  }
}

/** GraphQL nulls mean "not given": only fields the client set reach the command, the decider fills the rest. */
function toRigConfig(input: RigConfigInput | undefined | null): Record<string, unknown> | undefined {
  if (!input) return undefined;
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === null || value === undefined) continue;
    config[key] = key === 'agent' ? withoutNulls(value as Record<string, unknown>) : value;
  }
  return config;
}

function withoutNulls(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined));
}
