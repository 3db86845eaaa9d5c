import { Inject, Injectable } from '@nestjs/common';
import { followStream, type Bus, type StoredCommit } from '@gastown/bus';
import { parseEventSubject } from '@gastown/contracts';
import { DataSource } from 'typeorm';
import { BUS } from '../bus/bus.module';
import { GATEWAY_CONFIG } from '../config/config.module';
import type { GatewayConfig } from '../config/gateway.config';
import { RequestLoaders, type GatewayContext } from '../graphql/graphql.context';
import type { Shareable } from '../graphql/graphql.subscriptions';
import { apiError, notFound } from '../graphql/graphql.errors';
import { isUuid } from '../graphql/graphql.ids';
import { beadIdsOf, type HistoryEventView } from '../history/history.event';
import { HistoryService } from '../history/history.service';
import { ReadModelTimeoutError, ReadModelWaiter } from '../projection/read-model.waiter';
import { BeadRow, ConvoyRow } from '../read-models/read-models.entities';
import { ChangeFeed, type CommitSource } from './live.feed';
import { FellBehindError, LiveTaps } from './live.taps';
import { ChangeSnapshots } from './live.snapshots';

/**
 * The loaders that resolve a change's fields, shared by the town's subscribers of that change: 256
 * subscriptions of a town asking for a convoy's progress cost one read of it per change, not 256.
 */
export interface SharedLoaders {
  readonly loaders: RequestLoaders;
}

export interface ConvoyChangeView extends SharedLoaders, Shareable {
  readonly sequence: number;
  readonly convoyId: string;
  readonly events: HistoryEventView[];
  readonly convoy: ConvoyRow;
}

export interface BeadChangeView extends SharedLoaders, Shareable {
  readonly sequence: number;
  readonly beadId: string;
  readonly events: HistoryEventView[];
  readonly bead: BeadRow;
}

function checkAfterSequence(afterSequence: number | null | undefined): number | undefined {
  if (afterSequence == null) return undefined;
  if (!Number.isSafeInteger(afterSequence) || afterSequence < 0) {
    throw apiError('BAD_USER_INPUT', `afterSequence must be a stream sequence, a whole number from 0 (got ${afterSequence})`, {
      argument: 'afterSequence',
    });
  }
  return afterSequence;
}

/** A subscriber dropped for reading too slowly is told how to resume without missing anything. */
function resumable(source: CommitSource): CommitSource {
  return {
    next: async () => {
      try {
        return await source.next();
      } catch (error) {
        if (!(error instanceof FellBehindError)) throw error;
        const resume = error.lastSequence === null ? 'with the afterSequence it started from' : `with afterSequence ${error.lastSequence}`;
        throw apiError('UNAVAILABLE', `${error.message}, as it read too slowly; subscribe again ${resume} to resume without missing a change`, {
          ...(error.lastSequence === null ? {} : { sequence: error.lastSequence }),
        });
      }
    },
    return: () => source.return(),
  };
}

/**
 * Live changes of the town's convoys and beads, read from the event stream (a core NATS
 * subscription would also see appends the stream refused) and paired with the read models once
 * they show the change, so what a client sees is never older than the events it was sent.
 */
/** Decisions with more events than this are not shared between subscribers (see snapshotOf). */
const MAX_SHARED_EVENTS = 200;

interface CommitSnapshot extends SharedLoaders {
  readonly views: HistoryEventView[];
  readonly convoy: ConvoyRow | null;
}

@Injectable()
export class LiveService {
  private readonly snapshots = new ChangeSnapshots<CommitSnapshot>();
  private readonly taps = new LiveTaps();

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    private readonly db: DataSource,
    private readonly waiter: ReadModelWaiter,
    private readonly history: HistoryService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async convoyChanges(ctx: GatewayContext, convoyId: string | null, afterSequence: number | null): Promise<ChangeFeed<ConvoyChangeView>> {
    const townId = ctx.town.id;
    const afterSeq = checkAfterSequence(afterSequence);
    if (convoyId !== null && !(isUuid(convoyId) && (await this.db.getRepository(ConvoyRow).existsBy({ id: convoyId, townId })))) {
      throw notFound('convoy', convoyId);
    }
    const names = this.bus.names;
    const filterSubject = convoyId === null ? names.townConvoyEvents(townId) : names.convoyEvents(townId, convoyId);
    return new ChangeFeed(await this.follow(filterSubject, afterSeq), async (commit) => {
      const id = parseEventSubject(names.namespace, commit.subject)?.convoyId;
      if (!id) return null;
      const { convoy, views, loaders } = await this.snapshotOf(townId, id, commit);
      if (!convoy) throw new Error(`convoy ${id} is not in the read models although they reached seq ${commit.seq}`);
      return { sequence: commit.seq, convoyId: id, events: views, convoy, loaders, shareKey: `${townId} ${commit.seq} convoy ${id}` };
    });
  }

  async beadChanges(ctx: GatewayContext, beadId: string, afterSequence: number | null): Promise<ChangeFeed<BeadChangeView>> {
    const townId = ctx.town.id;
    const afterSeq = checkAfterSequence(afterSequence);
    const found = isUuid(beadId) ? await this.db.getRepository(BeadRow).findOneBy({ id: beadId, townId }) : null;
    if (!found) throw notFound('bead', beadId);
    return new ChangeFeed(await this.follow(this.bus.names.convoyEvents(townId, found.convoyId), afterSeq), async (commit) => {
      if (!commit.events.some((event) => beadIdsOf(event).includes(beadId))) return null;
      const { views, loaders } = await this.snapshotOf(townId, found.convoyId, commit);
      const bead = await this.db.getRepository(BeadRow).findOneBy({ id: beadId, townId });
      if (!bead) throw new Error(`bead ${beadId} is not in the read models although they reached seq ${commit.seq}`);
      const events = views.filter((view) => view.beadIds.includes(beadId));
      return { sequence: commit.seq, beadId, events, bead, loaders, shareKey: `${townId} ${commit.seq} bead ${beadId}` };
    });
  }

  /**
   * The town's convoy decisions from now on, on the follower that convoyChanged without convoyId
   * shares: a view of the town derived from them (a rig's merge queue) costs no consumer of its own.
   */
  followTown(townId: string): Promise<CommitSource> {
    return this.follow(this.bus.names.townConvoyEvents(townId), undefined);
  }

  /** The commits of `filterSubject` after `afterSeq` (from now without it), on the subject's shared follower when it misses nothing. */
  private async follow(filterSubject: string, afterSeq: number | undefined): Promise<CommitSource> {
    const open = (after: number) => followStream(this.bus, { filterSubject, afterSeq: after });
    const source = { lastSequence: async () => (await this.bus.jsm.streams.info(this.bus.names.eventStream)).state.last_seq, open };
    return resumable(await this.taps.follow(filterSubject, source, afterSeq, open));
  }

  /** The read models at the commit and its events as history, read once for every subscriber of the change. */
  private snapshotOf(townId: string, convoyId: string, commit: StoredCommit): Promise<CommitSnapshot> {
    const load = async (): Promise<CommitSnapshot> => {
      await this.readModelsAt(commit);
      const [convoy, views] = await Promise.all([
        this.db.getRepository(ConvoyRow).findOneBy({ id: convoyId, townId }),
        this.history.viewsOfCommit(townId, commit.seq, commit.events),
      ]);
      return { convoy, views, loaders: new RequestLoaders() };
    };
    // A whole plan in one decision would pin megabytes per cached entry; those are rare, read them each time.
    if (commit.events.length > MAX_SHARED_EVENTS) return load();
    return this.snapshots.get(`${townId} ${commit.subject} ${commit.seq}`, load);
  }

  /** The change goes out with the read models at least as new as it; a stalled projection ends the subscription. */
  async readModelsAt(commit: StoredCommit): Promise<void> {
    try {
      await this.waiter.waitFor(commit.subject, commit.seq, this.config.readModelWaitMs);
    } catch (error) {
      if (!(error instanceof ReadModelTimeoutError)) throw error;
      throw apiError(
        'UNAVAILABLE',
        `${error.message}; subscribe again with the sequence of the last change you received as afterSequence to resume`,
        { sequence: commit.seq },
      );
    }
  }
}
