import type { StoredCommit } from '@gastown/bus';

/** A source of commits that can be ended from outside, even while a read waits. */
export interface CommitSource extends AsyncIterator<StoredCommit> {
  return(): Promise<IteratorResult<StoredCommit>>;
}

/**
 * Turns the commits of a stream follower into subscription payloads, one commit at a time, so a
 * client that reads slowly holds back the reading of the stream instead of filling memory. A
 * commit that concerns the subscriber in no way yields nothing. return() ends the follower at
 * once (graphql-ws calls it when the client completes or goes away), and so does any error.
 */
export class ChangeFeed<T> implements AsyncIterableIterator<T> {
  constructor(
    private readonly commits: CommitSource,
    private readonly toChange: (commit: StoredCommit) => Promise<T | null>,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<T>> {
    for (;;) {
      const next = await this.commits.next();
      if (next.done) return { done: true, value: undefined };
      let change: T | null;
      try {
        change = await this.toChange(next.value);
      } catch (error) {
        await this.commits.return();
        throw error;
      }
      if (change !== null) return { done: false, value: change };
    }
  }

  async return(): Promise<IteratorResult<T>> {
    await this.commits.return();
    return { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<IteratorResult<T>> {
    await this.commits.return();
    throw error;
  }
}
