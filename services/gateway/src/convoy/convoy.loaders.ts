import { Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import { emptyProgress } from '@gastown/contracts';
import { DataSource, In } from 'typeorm';
import { BeadDependencyRow, BeadRow, ConvoyRow } from '../read-models/read-models.entities';
import type { GatewayContext } from '../graphql/graphql.context';
import { isUuid } from '../graphql/graphql.ids';
import type { ConvoyProgress } from './convoy.model';

const CONVOY_BY_ID = Symbol('convoyById');
const BEADS_BY_CONVOY = Symbol('beadsByConvoy');
const EDGES_BY_CONVOY = Symbol('edgesByConvoy');
const PROGRESS_BY_CONVOY = Symbol('progressByConvoy');
const SEQUENCE_BY_CONVOY = Symbol('sequenceByConvoy');

function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(key(row));
    if (group) group.push(row);
    else groups.set(key(row), [row]);
  }
  return groups;
}

/** Everything keyed by convoy, one query per kind and request, always within the request's town. */
@Injectable()
export class ConvoyLoaders {
  constructor(private readonly db: DataSource) {}

  byId(ctx: GatewayContext): DataLoader<string, ConvoyRow | null> {
    return ctx.loaders.get(
      CONVOY_BY_ID,
      () =>
        new DataLoader<string, ConvoyRow | null>(async (ids) => {
          const rows = await this.db.getRepository(ConvoyRow).findBy({ townId: ctx.town.id, id: In(ids.filter(isUuid)) });
          const byId = new Map(rows.map((r) => [r.id, r]));
          return ids.map((id) => byId.get(id) ?? null);
        }),
    );
  }

  /**
   * The convoy's beads in plan order; with `first`, only the first ones, with `after`, only those
   * after that bead of the convoy, and with `rigId`, only those on the rig, cut in the database.
   */
  beads(ctx: GatewayContext, first: number | null = null, after: string | null = null, rigId: string | null = null): DataLoader<string, BeadRow[]> {
    return ctx.loaders.get(
      first === null && after === null && rigId === null ? BEADS_BY_CONVOY : Symbol.for(`beadsByConvoy:${first}:${after}:${rigId}`),
      () =>
        new DataLoader<string, BeadRow[]>(async (convoyIds) => {
          const ids = convoyIds.filter(isUuid);
          const page = (convoy: string | string[]) => {
            const query = this.db
              .getRepository(BeadRow)
              .createQueryBuilder('b')
              .where('b.townId = :town AND b.convoyId IN (:...ids)', { town: ctx.town.id, ids: [convoy].flat() })
              .orderBy('b.convoyId', 'ASC')
              .addOrderBy('b.idx', 'ASC');
            // A cursor of another convoy selects nothing there.
            const start = after === null ? '-1' : '(SELECT a.idx FROM beads a WHERE a.id = :after AND a.convoy_id = b.convoy_id)';
            if (after !== null) query.andWhere(`b.idx > ${start}`, { after });
            if (rigId !== null) return query.andWhere('b.rigId = :rigId', { rigId }).limit(first ?? undefined).getMany();
            // Plan indices run from 0 without gaps, so a page of all rigs is a range of them, cut for every convoy at once.
            if (first !== null) query.andWhere(`b.idx <= ${start} + :first`, { first });
            return query.getMany();
          };
          if (ids.length === 0) return convoyIds.map(() => []);
          // A rig's beads are not a range of indices: each convoy's page is its own query.
          const rows = rigId !== null && first !== null ? (await Promise.all(ids.map(page))).flat() : await page(ids);
          const groups = groupBy(rows, (r) => r.convoyId);
          return convoyIds.map((id) => groups.get(id) ?? []);
        }),
    );
  }

  /**
   * The beads whose merge push was granted on their current attempt and is not recorded yet, in
   * plan order, at most `first` per convoy (the partial index ix_beads_merge_claimed holds them).
   */
  mergesUnderWay(ctx: GatewayContext, first: number): DataLoader<string, BeadRow[]> {
    return ctx.loaders.get(
      Symbol.for(`mergesUnderWayByConvoy:${first}`),
      () =>
        new DataLoader<string, BeadRow[]>(async (convoyIds) => {
          const ids = convoyIds.filter(isUuid);
          if (ids.length === 0) return convoyIds.map(() => []);
          const rows = await this.db
            .getRepository(BeadRow)
            .createQueryBuilder('b')
            .where(`b.townId = :town AND b.convoyId IN (:...ids) AND b.mergeClaimedAttempt IS NOT NULL AND b.status = 'IN_REVIEW'`, { town: ctx.town.id, ids })
            .andWhere('b.mergeClaimedAttempt = b.attempts')
            .orderBy('b.convoyId', 'ASC')
            .addOrderBy('b.idx', 'ASC')
            .getMany();
          const groups = groupBy(rows, (r) => r.convoyId);
          return convoyIds.map((id) => (groups.get(id) ?? []).slice(0, first));
        }),
    );
  }

  /** Every edge of the convoy, in (beadId, dependsOnBeadId) order. */
  edges(ctx: GatewayContext): DataLoader<string, BeadDependencyRow[]> {
    return ctx.loaders.get(
      EDGES_BY_CONVOY,
      () =>
        new DataLoader<string, BeadDependencyRow[]>(async (convoyIds) => {
          const rows = await this.db.getRepository(BeadDependencyRow).find({
            where: { townId: ctx.town.id, convoyId: In([...convoyIds]) },
            order: { beadId: 'ASC', dependsOnBeadId: 'ASC' },
          });
          const groups = groupBy(rows, (r) => r.convoyId);
          return convoyIds.map((id) => groups.get(id) ?? []);
        }),
    );
  }

  /** One page of the convoy's edges in the same order: at most `first`, strictly after the `after` edge. */
  edgesPage(ctx: GatewayContext, first: number, after: { beadId: string; dependsOnBeadId: string } | null): DataLoader<string, BeadDependencyRow[]> {
    return ctx.loaders.get(
      Symbol.for(`edgesByConvoy:${first}:${after?.beadId}:${after?.dependsOnBeadId}`),
      () =>
        // Pages are cut per convoy, so each convoy is one indexed query.
        new DataLoader<string, BeadDependencyRow[]>((convoyIds) =>
          Promise.all(
            convoyIds.map(async (convoyId) => {
              if (!isUuid(convoyId)) return [];
              const query = this.db
                .getRepository(BeadDependencyRow)
                .createQueryBuilder('e')
                .where('e.townId = :town AND e.convoyId = :convoyId', { town: ctx.town.id, convoyId })
                .orderBy('e.beadId', 'ASC')
                .addOrderBy('e.dependsOnBeadId', 'ASC')
                .limit(first);
              if (after) query.andWhere('(e.bead_id, e.depends_on_bead_id) > (:beadId, :dependsOnBeadId)', after);
              return query.getMany();
            }),
          ),
        ),
    );
  }

  /** Counted by PostgreSQL rather than from loaded beads, so a progress bar never pulls 10,000 rows; with `rigId`, the rig's beads only. */
  progress(ctx: GatewayContext, rigId: string | null = null): DataLoader<string, ConvoyProgress> {
    return ctx.loaders.get(
      rigId === null ? PROGRESS_BY_CONVOY : Symbol.for(`progressByConvoy:${rigId}`),
      () =>
        new DataLoader<string, ConvoyProgress>(async (convoyIds) => {
          const rows: (ConvoyProgress & { convoyId: string })[] = await this.db.query(
            `SELECT convoy_id AS "convoyId",
                    count(*)::int AS total,
                    count(*) FILTER (WHERE status = 'OPEN' AND NOT blocked)::int AS open,
                    count(*) FILTER (WHERE status = 'IN_PROGRESS')::int AS "inProgress",
                    count(*) FILTER (WHERE status = 'IN_REVIEW')::int AS "inReview",
                    count(*) FILTER (WHERE status = 'CLOSED')::int AS closed,
                    count(*) FILTER (WHERE status = 'FAILED')::int AS failed,
                    count(*) FILTER (WHERE status = 'CANCELLED')::int AS cancelled,
                    count(*) FILTER (WHERE status = 'OPEN' AND blocked)::int AS blocked
               FROM beads
              WHERE town_id = $1 AND convoy_id = ANY($2::uuid[]) AND ($3::uuid IS NULL OR rig_id = $3::uuid)
              GROUP BY convoy_id`,
            [ctx.town.id, convoyIds.filter(isUuid), rigId],
          );
          const byConvoy = new Map(rows.map(({ convoyId, ...progress }) => [convoyId, progress]));
          return convoyIds.map((id) => byConvoy.get(id) ?? emptyProgress());
        }),
    );
  }

  /** The stream sequence of the newest decision the read models hold for each convoy (an index-only scan). */
  sequence(ctx: GatewayContext): DataLoader<string, number> {
    return ctx.loaders.get(
      SEQUENCE_BY_CONVOY,
      () =>
        new DataLoader<string, number>(async (convoyIds) => {
          const rows: { convoyId: string; seq: string }[] = await this.db.query(
            `SELECT convoy_id AS "convoyId", max(seq) AS seq FROM convoy_events
              WHERE town_id = $1 AND convoy_id = ANY($2::uuid[]) GROUP BY convoy_id`,
            [ctx.town.id, convoyIds.filter(isUuid)],
          );
          const byConvoy = new Map(rows.map((row) => [row.convoyId, Number(row.seq)]));
          return convoyIds.map((id) => byConvoy.get(id) ?? 0);
        }),
    );
  }
}
