import { Injectable } from '@nestjs/common';
import type { BeadRow } from '../read-models/read-models.entities';
import { CommandService, type ConvoyCommandBody } from '../command/command.service';
import type { GatewayContext } from '../graphql/graphql.context';
import { notFound } from '../graphql/graphql.errors';
import { BeadLoaders } from './bead.loaders';

@Injectable()
export class BeadService {
  constructor(
    private readonly loaders: BeadLoaders,
    private readonly commands: CommandService,
  ) {}

  async get(ctx: GatewayContext, id: string): Promise<BeadRow> {
    const bead = await this.loaders.byId(ctx).load(id);
    if (!bead) throw notFound('bead', id);
    return bead;
  }

  addDependency(ctx: GatewayContext, beadId: string, dependsOnBeadId: string, commandId?: string): Promise<BeadRow> {
    return this.change(ctx, beadId, commandId, (convoyId) => ({
      convoyId,
      type: 'AddDependency',
      data: { beadId, dependsOnBeadId },
    }));
  }

  removeDependency(ctx: GatewayContext, beadId: string, dependsOnBeadId: string, commandId?: string): Promise<BeadRow> {
    return this.change(ctx, beadId, commandId, (convoyId) => ({
      convoyId,
      type: 'RemoveDependency',
      data: { beadId, dependsOnBeadId },
    }));
  }

  retry(ctx: GatewayContext, beadId: string, commandId?: string): Promise<BeadRow> {
    return this.change(ctx, beadId, commandId, (convoyId) => ({ convoyId, type: 'RetryBead', data: { beadId } }));
  }

  /**
   * Commands address a convoy; the bead's own convoy comes from the town's read model, which is
   * also what keeps a town from addressing another town's bead.
   */
  private async change(
    ctx: GatewayContext,
    beadId: string,
    requestedCommandId: string | undefined,
    build: (convoyId: string) => ConvoyCommandBody,
  ): Promise<BeadRow> {
    const bead = await this.get(ctx, beadId);
    await this.commands.convoy(ctx, this.commands.commandIdOf(requestedCommandId), build(bead.convoyId));
    return this.get(ctx, beadId);
  }
}
