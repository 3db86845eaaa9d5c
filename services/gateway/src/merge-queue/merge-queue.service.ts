import { Injectable } from '@nestjs/common';
import type { StoredCommit } from '@gastown/bus';
import type { EventType, GastownEvent } from '@gastown/contracts';
import { DataSource } from 'typeorm';
import { RequestLoaders, type GatewayContext } from '../graphql/graphql.context';
import { notFound } from '../graphql/graphql.errors';
import type { Shareable } from '../graphql/graphql.subscriptions';
import { beadIdsOf } from '../history/history.event';
import { ChangeFeed } from '../live/live.feed';
import { LiveService, type SharedLoaders } from '../live/live.service';
import { ChangeSnapshots } from '../live/live.snapshots';
import { RigLoaders } from '../rig/rig.loaders';

/**
 * A rig's queue after a decision, or as it is when the subscription starts (sequence null, not
 * shared: each subscriber reads its own start). Its entries are read when the change is resolved.
 */
export interface MergeQueueChangeView extends SharedLoaders, Partial<Shareable> {
  readonly sequence: number | null;
  readonly rigId: string;
}

/** The events the merge queue projection applies (merge-queue.projector.ts). */
const QUEUE_EVENTS: ReadonlySet<EventType> = new Set<EventType>([
  'BeadSubmitted',
  'MergeBatchStarted',
  'MergeBatchChecked',
  'MergeBatchEnded',
  'BeadMerged',
  'BeadReworkRequested',
  'BeadFailed',
  'BeadCancelled',
  'BeadMergeAborted',
  'ConvoyCancelled',
]);

/** What of the convoy the decision may have moved in or out of a queue: named beads, or all its beads. */
function queueTouch(events: readonly GastownEvent[]): { beadIds: string[]; wholeConvoy: boolean } | null {
  const beadIds = new Set<string>();
  let wholeConvoy = false;
  let touched = false;
  for (const event of events) {
    if (!QUEUE_EVENTS.has(event.type)) continue;
    // A bead cancelled before it was handed in was never queued.
    if (event.type === 'BeadCancelled' && event.data.previousStatus !== 'IN_REVIEW') continue;
    touched = true;
    const named = beadIdsOf(event);
    for (const id of named) beadIds.add(id);
    // A discarded or abandoned batch names none of the beads it sends back to wait.
    if (event.type === 'ConvoyCancelled' || (event.type === 'MergeBatchEnded' && named.length === 0)) wholeConvoy = true;
  }
  return touched ? { beadIds: [...beadIds], wholeConvoy } : null;
}

@Injectable()
export class MergeQueueService {
  /** Whether a decision concerns a rig's queue, decided once for all the rig's subscribers. */
  private readonly concerned = new ChangeSnapshots<boolean>(512);

  constructor(
    private readonly db: DataSource,
    private readonly rigs: RigLoaders,
    private readonly live: LiveService,
  ) {}

  /**
   * The rig's queue now, then after every decision of the town that may have changed it, each
   * time read once the read models show that decision. A decision is judged by its events (a bead
   * of the rig handed in, batched, checked, merged, sent back, failed, cancelled, aborted; a
   * batch of the rig ended; a convoy with beads on the rig closed), so a bead failed before it was
   * handed in may send the same queue again; a client simply shows the newest. Nothing is resumed:
   * every change carries the whole queue (up to `first`), so subscribing again loses nothing.
   */
  async changes(ctx: GatewayContext, rigId: string): Promise<AsyncIterableIterator<MergeQueueChangeView>> {
    const townId = ctx.town.id;
    const rig = await this.rigs.byId(ctx).load(rigId);
    if (!rig) throw notFound('rig', rigId);
    const feed = new ChangeFeed(await this.live.followTown(townId), async (commit): Promise<MergeQueueChangeView | null> => {
      if (!(await this.concerns(townId, rig.id, commit))) return null;
      return { sequence: commit.seq, rigId: rig.id, loaders: new RequestLoaders(), shareKey: `${townId} ${commit.seq} mergeQueue ${rig.id}` };
    });
    return startingWith({ sequence: null, rigId: rig.id, loaders: new RequestLoaders() }, feed);
  }

  private concerns(townId: string, rigId: string, commit: StoredCommit): Promise<boolean> {
    const touch = queueTouch(commit.events);
    if (touch === null) return Promise.resolve(false);
    return this.concerned.get(`${townId} ${commit.subject} ${commit.seq} ${rigId}`, async () => {
      await this.live.readModelsAt(commit);
      // A bead's rig never changes, so the beads tell the rig whatever the decision did to them.
      const [{ found }] = (await this.db.query(
        `SELECT EXISTS (SELECT 1 FROM beads WHERE town_id = $1 AND rig_id = $2 AND (id = ANY($3::uuid[]) OR ($4 AND convoy_id = $5))) AS found`,
        [townId, rigId, touch.beadIds, touch.wholeConvoy, commit.events[0].convoyId],
      )) as { found: boolean }[];
      return found;
    });
  }
}

/** `first`, then what `rest` yields; ending it ends `rest`, which holds the stream follower. */
function startingWith<T>(first: T, rest: ChangeFeed<T>): AsyncIterableIterator<T> {
  let sent = false;
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      if (sent) return rest.next();
      sent = true;
      return { done: false, value: first };
    },
    return: () => rest.return(),
    throw: (error?: unknown) => rest.throw(error),
  };
}
