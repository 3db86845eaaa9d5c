import { Inject, Injectable } from '@nestjs/common';
import { HoldsRegistry, type Bus } from '@gastown/bus';
import { InvalidEventError, parseEvent, type GastownEvent } from '@gastown/contracts';
import { DataSource } from 'typeorm';
import { BUS } from '../bus/bus.module';
import { dispatcherHoldRecords, holdRecords, withHoldRecords } from '../holds/holds.history';
import { listHolds, listSkips } from '../projection/projection.applier';
import type { GatewayContext } from '../graphql/graphql.context';
import { apiError } from '../graphql/graphql.errors';
import { beadIdsOf, toHistoryEvent, type HistoryEventView } from './history.event';
import { attemptKey, type HistoryNames } from './history.summary';

export const DEFAULT_HISTORY_PAGE = 500;
export const MAX_HISTORY_PAGE = 1000;

interface EventRow {
  seq: string;
  idx: number;
  event: unknown;
}

/** An event as stored, read back with this build's parser (which upcasts older versions). */
interface StoredEvent {
  readonly seq: number;
  readonly idx: number;
  readonly event: GastownEvent;
}

export interface HistoryPage {
  readonly afterSequence?: number | null;
  readonly first?: number | null;
}

function checkPage({ afterSequence, first }: HistoryPage): { after: number; first: number } {
  const size = first ?? DEFAULT_HISTORY_PAGE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_HISTORY_PAGE) {
    throw apiError('BAD_USER_INPUT', `first must be between 1 and ${MAX_HISTORY_PAGE} (got ${size})`, { argument: 'first' });
  }
  const after = afterSequence ?? 0;
  if (!Number.isSafeInteger(after) || after < 0) {
    throw apiError('BAD_USER_INPUT', `afterSequence must be a stream sequence, a whole number from 0 (got ${after})`, {
      argument: 'afterSequence',
    });
  }
  return { after, first: size };
}

/**
 * Convoy and bead histories from the convoy_events read model. Pages hold whole decisions:
 * afterSequence is the client's cursor, and a cursor inside a decision would skip the rest of it.
 */
@Injectable()
export class HistoryService {
  constructor(
    private readonly db: DataSource,
    @Inject(BUS) private readonly bus: Bus,
  ) {}

  /** The convoy's events, with where the projector and the dispatcher hold it and what the operator skipped. */
  async ofConvoy(ctx: GatewayContext, convoyId: string, page: HistoryPage): Promise<HistoryEventView[]> {
    const checked = checkPage(page);
    const subject = this.bus.names.convoyEvents(ctx.town.id, convoyId);
    const registry = new HoldsRegistry(this.bus);
    const [rows, hold, skips, dispatcherHold, dispatcherSkips] = await Promise.all([
      this.page(`town_id = $1 AND convoy_id = $2`, [ctx.town.id, convoyId], checked),
      listHolds(this.db, [subject]).then((holds) => holds[0] ?? null),
      listSkips(this.db, [subject]),
      registry.heldBy('dispatcher', subject),
      registry.skips('dispatcher', subject),
    ]);
    const views = await this.views(ctx.town.id, rows);
    const records = [...holdRecords(convoyId, hold, skips), ...dispatcherHoldRecords(convoyId, dispatcherHold, dispatcherSkips)];
    return withHoldRecords(views, rows.length >= checked.first, checked.after, records);
  }

  async ofBead(ctx: GatewayContext, beadId: string, page: HistoryPage): Promise<HistoryEventView[]> {
    const rows = await this.page(`town_id = $1 AND bead_ids @> ARRAY[$2]::uuid[]`, [ctx.town.id, beadId], checkPage(page));
    return this.views(ctx.town.id, rows);
  }

  /** The views of one commit's events, e.g. for a subscription that read them from the stream. */
  async viewsOfCommit(townId: string, seq: number, events: readonly GastownEvent[]): Promise<HistoryEventView[]> {
    const ofConvoys = events.map((event, idx) => ({ idx, event })).filter(({ event }) => event.convoyId !== null);
    const names = await this.namesFor(townId, ofConvoys.map((e) => e.event));
    return ofConvoys.map(({ idx, event }) => toHistoryEvent(seq, idx, event, names));
  }

  private async page(where: string, params: unknown[], { after, first }: { after: number; first: number }): Promise<StoredEvent[]> {
    const select = `SELECT seq, idx, event FROM convoy_events WHERE ${where}`;
    const n = params.length;
    const rows = (await this.db.query(`${select} AND seq > $${n + 1} ORDER BY seq, idx LIMIT $${n + 2}`, [
      ...params,
      after,
      first + 1,
    ])) as EventRow[];
    if (rows.length <= first) return rows.map(parseRow);
    const cut = rows[first].seq;
    const whole = rows.slice(0, first).filter((row) => row.seq !== cut);
    if (whole.length > 0) return whole.map(parseRow);
    // One decision larger than a page (a big plan): it comes whole, as the cursor cannot split it.
    const decision = (await this.db.query(`${select} AND seq = $${n + 1} ORDER BY idx`, [...params, cut])) as EventRow[];
    return decision.map(parseRow);
  }

  private async views(townId: string, rows: readonly StoredEvent[]): Promise<HistoryEventView[]> {
    const names = await this.namesFor(townId, rows.map((r) => r.event));
    return rows.map(({ seq, idx, event }) => toHistoryEvent(seq, idx, event, names));
  }

  /** Titles, rig names and agents the events refer to by id, in three queries whatever the page size. */
  private async namesFor(townId: string, events: readonly GastownEvent[]): Promise<HistoryNames> {
    const beads = new Set<string>();
    const rigs = new Set<string>();
    for (const event of events) {
      for (const id of referencedBeads(event)) beads.add(id);
      for (const id of referencedRigs(event)) rigs.add(id);
    }
    const [titles, rigNames, dispatches] = await Promise.all([
      beads.size === 0
        ? []
        : (this.db.query(`SELECT id, title FROM beads WHERE town_id = $1 AND id = ANY($2::uuid[])`, [townId, [...beads]]) as Promise<
            { id: string; title: string }[]
          >),
      rigs.size === 0
        ? []
        : (this.db.query(`SELECT id, name FROM rigs WHERE town_id = $1 AND id = ANY($2::uuid[])`, [townId, [...rigs]]) as Promise<
            { id: string; name: string }[]
          >),
      beads.size === 0
        ? []
        : (this.db.query(
            `SELECT event->'data'->>'beadId' AS bead_id, (event->'data'->>'attempt')::int AS attempt,
                    event->'data'->'agent'->>'name' AS name
             FROM convoy_events WHERE town_id = $1 AND type = 'BeadDispatched' AND bead_ids && $2::uuid[]`,
            [townId, [...beads]],
          ) as Promise<{ bead_id: string; attempt: number; name: string }[]>),
    ]);
    return {
      beadTitles: new Map(titles.map((b) => [b.id, b.title])),
      rigNames: new Map(rigNames.map((r) => [r.id, r.name])),
      attemptAgents: new Map(dispatches.map((d) => [attemptKey(d.bead_id, d.attempt), d.name])),
    };
  }
}

function parseRow(row: EventRow): StoredEvent {
  try {
    return { seq: Number(row.seq), idx: row.idx, event: parseEvent(row.event) };
  } catch (error) {
    // Written by a newer gateway during a rolling upgrade: this build cannot explain it.
    if (!(error instanceof InvalidEventError)) throw error;
    throw apiError('UNAVAILABLE', `event ${row.seq}.${row.idx} needs a newer gateway: ${error.message}`);
  }
}

function referencedBeads(event: GastownEvent): string[] {
  switch (event.type) {
    case 'BeadCreated':
      return [event.data.beadId, ...event.data.dependsOn];
    case 'BeadsHeld':
      return event.data.beads.flatMap((b) => [b.beadId, ...b.heldBy]);
    default:
      return beadIdsOf(event);
  }
}

function referencedRigs(event: GastownEvent): string[] {
  switch (event.type) {
    case 'BeadCreated':
    case 'RigLandingPrepared':
    case 'RigLandingClaimed':
    case 'RigLandingAborted':
    case 'RigLanded':
      return [event.data.rigId];
    case 'ConvoyLandingFailed':
      return event.data.rigId ? [event.data.rigId] : [];
    case 'ConvoyLanded':
      return event.data.landings.map((l) => l.rigId);
    default:
      return [];
  }
}
