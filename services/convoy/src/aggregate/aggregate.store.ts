import type { GastownEvent } from '@gastown/contracts';
import type { EventStore, StoredCommit } from '@gastown/bus';

export interface Folder<S> {
  initialState(): S;
  evolve(state: S, event: GastownEvent): S;
}

export interface Aggregate<S> {
  readonly subject: string;
  state: S;
  /** Stream sequence of the last commit folded into `state` (0: nothing yet). */
  seq: number;
  /** Command id → the stream sequence of the commit it produced. */
  readonly commits: Map<string, number>;
}

/**
 * Folded aggregates kept in memory, keyed by subject. The cache is only an optimisation: every
 * append states the sequence the state was folded up to, so a stale entry is caught by the
 * server and refreshed, never acted upon.
 */
export class AggregateStore<S> {
  private readonly cache = new Map<string, Aggregate<S>>();

  constructor(
    private readonly store: EventStore,
    private readonly folder: Folder<S>,
    private readonly capacity = 2_000,
  ) {}

  /**
   * The cached aggregate, or a fresh fold when it is not cached. With `assumeNew` (commands that
   * create their aggregate) an uncached subject is taken to be empty without reading it: the
   * append's expectation of sequence 0 checks that assumption on the server.
   */
  async get(subject: string, { assumeNew = false } = {}): Promise<{ aggregate: Aggregate<S>; fresh: boolean }> {
    const cached = this.cache.get(subject);
    if (cached) {
      this.touch(subject, cached);
      return { aggregate: cached, fresh: false };
    }
    if (assumeNew) {
      const empty = { subject, state: this.folder.initialState(), seq: 0, commits: new Map<string, number>() };
      this.touch(subject, empty);
      return { aggregate: empty, fresh: false };
    }
    return { aggregate: await this.refresh(subject), fresh: true };
  }

  /** Folds whatever the stream holds beyond the cached sequence. */
  async refresh(subject: string): Promise<Aggregate<S>> {
    const aggregate = this.cache.get(subject) ?? {
      subject,
      state: this.folder.initialState(),
      seq: 0,
      commits: new Map<string, number>(),
    };
    const commits = await this.store.readSubject(subject, { afterSeq: aggregate.seq });
    for (const commit of commits) this.fold(aggregate, commit);
    this.touch(subject, aggregate);
    return aggregate;
  }

  /** Records a commit this process has just appended, without re-reading it. */
  applyAppended(aggregate: Aggregate<S>, commit: StoredCommit): void {
    this.fold(aggregate, commit);
  }

  forget(subject: string): void {
    this.cache.delete(subject);
  }

  private fold(aggregate: Aggregate<S>, commit: StoredCommit): void {
    if (commit.seq <= aggregate.seq) return;
    let state = aggregate.state;
    for (const event of commit.events) state = this.folder.evolve(state, event);
    aggregate.state = state;
    aggregate.seq = commit.seq;
    aggregate.commits.set(commit.commitId, commit.seq);
  }

  private touch(subject: string, aggregate: Aggregate<S>): void {
    // Map iteration order is insertion order: re-inserting makes this the most recent entry.
    this.cache.delete(subject);
    this.cache.set(subject, aggregate);
    if (this.cache.size > this.capacity) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
  }
}
