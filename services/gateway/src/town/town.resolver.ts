import { Query, Resolver } from '@nestjs/graphql';
import { Ctx, type GatewayContext } from '../graphql/graphql.context';
import type { TownRow } from '../read-models/read-models.entities';
import { Town } from './town.model';
import { TownService } from './town.service';

@Resolver(() => Town)
export class TownResolver {
  constructor(private readonly service: TownService) {}

  @Query(() => Town, { description: 'The town of the bearer token.' })
  town(@Ctx() ctx: GatewayContext): Promise<Pick<TownRow, 'id' | 'name' | 'createdAt'>> {
    return this.service.get(ctx.town.id);
  }
}
