import { Inject, Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import { EventStore, type Bus } from '@gastown/bus';
import { DataSource } from 'typeorm';
import { BUS } from '../bus/bus.module';
import type { GatewayContext } from '../graphql/graphql.context';
import { envelopeOnly } from '../projection/projection.runner';
import type { ConvoyRow } from '../read-models/read-models.entities';
import type { Hold } from './holds.model';
import { heldConvoyRow } from './holds.convoy';

const HOLD_BY_SUBJECT = Symbol('holdBySubject');

/** What the API says of held convoys and towns, from the projector's holds. */
@Injectable()
export class HoldsService {
  private readonly store: EventStore;

  constructor(
    private readonly db: DataSource,
    @Inject(BUS) private readonly bus: Bus,
  ) {
    this.store = new EventStore(bus, { parse: envelopeOnly });
  }

  convoyHold(ctx: GatewayContext, convoyId: string): Promise<Hold | null> {
    return this.bySubject(ctx).load(this.bus.names.convoyEvents(ctx.town.id, convoyId));
  }

  townHold(ctx: GatewayContext): Promise<Hold | null> {
    return this.bySubject(ctx).load(this.bus.names.townEvents(ctx.town.id));
  }

  /**
   * A convoy held on its first commit has no row: it is read from that commit as stored, as far
   * as it goes, so the town sees the convoy and why it is held instead of NOT_FOUND.
   */
  async heldConvoy(ctx: GatewayContext, convoyId: string): Promise<ConvoyRow | null> {
    const hold = await this.convoyHold(ctx, convoyId);
    if (!hold) return null;
    const subject = this.bus.names.convoyEvents(ctx.town.id, convoyId);
    const first = await this.bus.jsm.direct.getMessage(this.bus.names.eventStream, { next_by_subj: subject, seq: 1 });
    if (!first) return null;
    const events = await this.store
      .decodeCommit({ subject, seq: first.seq, data: first.data, time: first.time })
      .then((commit) => commit.events as unknown[])
      .catch(() => []);
    return heldConvoyRow(ctx.town.id, convoyId, first.time, events);
  }

  private bySubject(ctx: GatewayContext): DataLoader<string, Hold | null> {
    return ctx.loaders.get(
      HOLD_BY_SUBJECT,
      () =>
        new DataLoader<string, Hold | null>(async (subjects) => {
          const rows = (await this.db.query(`SELECT subject, seq, reason, held_at FROM projection_holds WHERE subject = ANY($1::text[])`, [
            [...subjects],
          ])) as { subject: string; seq: string; reason: string; held_at: Date }[];
          const bySubject = new Map(rows.map((r) => [r.subject, { service: 'projector', seq: Number(r.seq), reason: r.reason, since: r.held_at }]));
          return subjects.map((s) => bySubject.get(s) ?? null);
        }),
    );
  }
}
