import { Inject, Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import { EventStore, HoldsRegistry, type Bus, type HoldRecord } from '@gastown/bus';
import { DataSource } from 'typeorm';
import { BUS } from '../bus/bus.module';
import type { GatewayContext } from '../graphql/graphql.context';
import { envelopeOnly } from '../projection/projection.runner';
import type { ConvoyRow } from '../read-models/read-models.entities';
import type { Hold } from './holds.model';
import { heldConvoyRow } from './holds.convoy';
import { earliestHold } from './holds.merge';

const HOLD_BY_SUBJECT = Symbol('holdBySubject');
const PROJECTOR_HOLD_BY_SUBJECT = Symbol('projectorHoldBySubject');

/** What the API says of held convoys and towns: the projector's holds and the dispatcher's (from the holds registry). */
@Injectable()
export class HoldsService {
  private readonly store: EventStore;
  private readonly registry: HoldsRegistry;

  constructor(
    private readonly db: DataSource,
    @Inject(BUS) private readonly bus: Bus,
  ) {
    this.store = new EventStore(bus, { parse: envelopeOnly });
    this.registry = new HoldsRegistry(bus);
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
    const subject = this.bus.names.convoyEvents(ctx.town.id, convoyId);
    // Only the projector's hold explains a missing row; a dispatcher hold leaves the row to the projector.
    const hold = await this.projectorHolds(ctx).load(subject);
    if (!hold) return null;
    const first = await this.bus.jsm.direct.getMessage(this.bus.names.eventStream, { next_by_subj: subject, seq: 1 });
    if (!first) return null;
    const events = await this.store
      .decodeCommit({ subject, seq: first.seq, data: first.data, time: first.time })
      .then((commit) => commit.events as unknown[])
      .catch(() => []);
    return heldConvoyRow(ctx.town.id, convoyId, first.time, events);
  }

  /** A subject held by both shows the hold that began first: it is where what the town sees stopped first. */
  private bySubject(ctx: GatewayContext): DataLoader<string, Hold | null> {
    return ctx.loaders.get(
      HOLD_BY_SUBJECT,
      () =>
        new DataLoader<string, Hold | null>(async (subjects) => {
          const [projector, dispatcher] = await Promise.all([this.projectorHolds(ctx).loadMany(subjects), Promise.all(subjects.map((s) => this.dispatcherHold(s)))]);
          return subjects.map((_, i) => earliestHold([projector[i], dispatcher[i]].filter((h): h is Hold => h !== null && !(h instanceof Error))));
        }),
    );
  }

  private async dispatcherHold(subject: string): Promise<Hold | null> {
    const hold: HoldRecord | null = await this.registry.heldBy('dispatcher', subject);
    return hold && { service: hold.service, seq: hold.seq, reason: hold.reason, since: new Date(hold.since) };
  }

  private projectorHolds(ctx: GatewayContext): DataLoader<string, Hold | null> {
    return ctx.loaders.get(
      PROJECTOR_HOLD_BY_SUBJECT,
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
