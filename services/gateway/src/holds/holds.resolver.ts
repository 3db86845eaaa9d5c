import { GraphQLISODateTime, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { Convoy } from '../convoy/convoy.model';
import { Ctx, type GatewayContext } from '../graphql/graphql.context';
import type { ConvoyRow } from '../read-models/read-models.entities';
import { Town } from '../town/town.model';
import { Hold } from './holds.model';
import { HoldsService } from './holds.service';

const HELD = 'Whether a message the projector cannot apply holds it: what it shows stops there until the operator releases it.';

@Resolver(() => Convoy)
export class ConvoyHoldsResolver {
  constructor(private readonly holds: HoldsService) {}

  @ResolveField(() => Hold, { nullable: true, description: 'Why and since when the convoy is held; null when it is not.' })
  hold(@Ctx() ctx: GatewayContext, @Parent() convoy: ConvoyRow): Promise<Hold | null> {
    return this.holds.convoyHold(ctx, convoy.id);
  }

  @ResolveField(() => Boolean, { description: HELD })
  async held(@Ctx() ctx: GatewayContext, @Parent() convoy: ConvoyRow): Promise<boolean> {
    return (await this.hold(ctx, convoy)) !== null;
  }

  @ResolveField(() => String, { nullable: true })
  async heldReason(@Ctx() ctx: GatewayContext, @Parent() convoy: ConvoyRow): Promise<string | null> {
    return (await this.hold(ctx, convoy))?.reason ?? null;
  }

  @ResolveField(() => GraphQLISODateTime, { nullable: true })
  async heldSince(@Ctx() ctx: GatewayContext, @Parent() convoy: ConvoyRow): Promise<Date | null> {
    return (await this.hold(ctx, convoy))?.since ?? null;
  }
}

@Resolver(() => Town)
export class TownHoldsResolver {
  constructor(private readonly holds: HoldsService) {}

  @ResolveField(() => Hold, {
    nullable: true,
    description: "Why and since when the town's own record (rigs, webhooks) is held; null when it is not. Its rig and webhook changes are accepted but not shown meanwhile.",
  })
  hold(@Ctx() ctx: GatewayContext): Promise<Hold | null> {
    return this.holds.townHold(ctx);
  }

  @ResolveField(() => Boolean, { description: HELD })
  async held(@Ctx() ctx: GatewayContext): Promise<boolean> {
    return (await this.hold(ctx)) !== null;
  }

  @ResolveField(() => String, { nullable: true })
  async heldReason(@Ctx() ctx: GatewayContext): Promise<string | null> {
    return (await this.hold(ctx))?.reason ?? null;
  }

  @ResolveField(() => GraphQLISODateTime, { nullable: true })
  async heldSince(@Ctx() ctx: GatewayContext): Promise<Date | null> {
    return (await this.hold(ctx))?.since ?? null;
  }
}
