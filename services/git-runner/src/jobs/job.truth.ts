import type { EventStore } from '@gastown/bus';
import type { GastownEvent, Names, RigConfig, RigCredentials } from '@gastown/contracts';
import { applyToView, emptyConvoyView, type ConvoyView } from '@gastown/convoy-view';

/** A rig as registered in its town. Registrations never change (the town decider refuses a changed one); credentials do. */
export interface RigInfo {
  townId: string;
  rigId: string;
  name: string;
  gitUrl: string;
  defaultBranch: string;
  config: RigConfig;
  /** Sealed for this rig; null when its remote takes none. */
  credentials: RigCredentials | null;
}

interface Folded<T> {
  seq: number;
  state: T;
  /** Reads of one subject run one after another: each folds what the one before it left. */
  chain: Promise<unknown>;
}

/** Convoys kept folded in memory; a job for an evicted one reads its subject again. */
const MAX_CONVOYS = 256;

/**
 * What a job is checked against: the event log, read afresh for every job. Views are folded
 * incrementally (each read starts after the last sequence folded) and read strictly in turn per
 * subject, so a read that begins after a job arrived sees every event the job was published on.
 */
export class JobTruth {
  private readonly towns = new Map<string, Folded<Map<string, RigInfo>>>();
  private readonly convoys = new Map<string, Folded<ConvoyView>>();

  constructor(
    private readonly store: EventStore,
    private readonly names: Names,
  ) {}

  /** The rig, or undefined when the town has not registered it. */
  async rig(townId: string, rigId: string): Promise<RigInfo | undefined> {
    return this.townRig(townId, rigId, false);
  }

  /**
   * The rig's credentials as of now, read before every command that talks to its remote: a
   * rotation or removal counts from the next fetch or push on, not from the runner's next start.
   */
  async credentials(townId: string, rigId: string): Promise<RigCredentials | null> {
    return (await this.townRig(townId, rigId, true))?.credentials ?? null;
  }

  private async townRig(townId: string, rigId: string, fresh: boolean): Promise<RigInfo | undefined> {
    const subject = this.names.townEvents(townId);
    let town = this.towns.get(subject);
    if (fresh || !town?.state.has(rigId)) {
      town ??= { seq: 0, state: new Map(), chain: Promise.resolve() };
      this.towns.set(subject, town);
      await this.advance(subject, town, (rigs, event) => {
        if (event.type === 'RigRegistered') rigs.set(event.data.rigId, { townId, ...event.data, credentials: null });
        if (event.type === 'RigCredentialsSet' || event.type === 'RigCredentialsCleared') {
          const rig = rigs.get(event.data.rigId);
          if (rig) rig.credentials = event.type === 'RigCredentialsSet' ? event.data.credentials : null;
        }
      });
    }
    return town.state.get(rigId);
  }

  /**
   * Folds the convoy up to now and hands it to `read`, which must copy out what it needs: the
   * view is shared and changes with the next read. Undefined when the convoy does not exist.
   */
  async convoy<T>(townId: string, convoyId: string, read: (view: ConvoyView) => T): Promise<T | undefined> {
    const subject = this.names.convoyEvents(townId, convoyId);
    const convoy = this.convoys.get(subject) ?? { seq: 0, state: emptyConvoyView(townId, convoyId), chain: Promise.resolve() };
    // Most recently used last, so the first entry is the one to evict.
    this.convoys.delete(subject);
    this.convoys.set(subject, convoy);
    for (const [oldest] of this.convoys) {
      if (this.convoys.size <= MAX_CONVOYS) break;
      this.convoys.delete(oldest);
    }
    return this.advance(subject, convoy, (view, event) => applyToView(view, event), (view) =>
      convoy.seq === 0 ? undefined : read(view),
    );
  }

  private advance<T, R = void>(
    subject: string,
    folded: Folded<T>,
    apply: (state: T, event: GastownEvent) => void,
    read?: (state: T) => R,
  ): Promise<R> {
    const run = folded.chain.then(async () => {
      for (const commit of await this.store.readSubject(subject, { afterSeq: folded.seq })) {
        for (const event of commit.events) apply(folded.state, event);
        folded.seq = commit.seq;
      }
      return read?.(folded.state) as R;
    });
    folded.chain = run.catch(() => undefined);
    return run;
  }
}
