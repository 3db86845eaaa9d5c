import type { StoredCommit } from '@gastown/bus';
import { ChangeFeed, type CommitSource } from './live.feed';

const commit = (seq: number): StoredCommit => ({ subject: 'gt.evt.t.convoy.c', seq, prevSeq: seq - 1, commitId: `c${seq}`, events: [] });

/** Commits 1..count, then waits forever, like a follower at the live end of the stream. */
function source(count: number): CommitSource & { returned: boolean } {
  let next = 1;
  let wake: (() => void) | null = null;
  const src = {
    returned: false,
    next: async (): Promise<IteratorResult<StoredCommit>> => {
      if (src.returned) return { done: true, value: undefined };
      if (next <= count) return { done: false, value: commit(next++) };
      await new Promise<void>((resolve) => (wake = resolve));
      return { done: true, value: undefined };
    },
    return: async (): Promise<IteratorResult<StoredCommit>> => {
      src.returned = true;
      wake?.();
      return { done: true, value: undefined };
    },
  };
  return src;
}

describe('a change feed', () => {
  it('given commits that concern the subscriber and some that do not, when read, then only the changes come, in order', async () => {
    const feed = new ChangeFeed(source(5), async (c) => (c.seq % 2 === 1 ? c.seq : null));

    const seen = [await feed.next(), await feed.next(), await feed.next()].map((r) => r.value);

    expect(seen).toEqual([1, 3, 5]);
  });

  it('given a read waiting at the live end, when the client goes away, then the read ends and the source is released', async () => {
    const commits = source(0);
    const feed = new ChangeFeed(commits, async (c) => c.seq);
    const waiting = feed.next();

    await feed.return();

    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(commits.returned).toBe(true);
  });

  it('given a change that cannot be built, when read, then the error reaches the client and the source is released', async () => {
    const commits = source(3);
    const feed = new ChangeFeed(commits, async (c) => {
      if (c.seq === 2) throw new Error('read model is late');
      return c.seq;
    });

    await feed.next();

    await expect(feed.next()).rejects.toThrow('read model is late');
    expect(commits.returned).toBe(true);
  });
});
