import type { StoredCommit } from '@gastown/bus';
import type { CommitSource } from './live.feed';
import { FellBehindError, LiveTaps, TAP_QUEUE_LIMIT, type TapSource } from './live.taps';

const SUBJECT = 'gt.evt.town.convoy.*';
const commit = (seq: number): StoredCommit => ({ subject: 'gt.evt.town.convoy.c', seq, prevSeq: seq - 1, commitId: `c${seq}`, events: [] });

/** A follower the test feeds by hand, as the stream would at its live end. */
class HandFedFollower implements CommitSource {
  returned = false;
  private readonly waiting: ((result: IteratorResult<StoredCommit>) => void)[] = [];
  private readonly queued: StoredCommit[] = [];
  private failure: Error | null = null;

  feed(...commits: StoredCommit[]): void {
    for (const c of commits) {
      const reader = this.waiting.shift();
      if (reader) reader({ done: false, value: c });
      else this.queued.push(c);
    }
  }

  fail(error: Error): void {
    this.failure = error;
    this.waiting.splice(0).forEach((reader) => reader({ done: true, value: undefined }));
  }

  async next(): Promise<IteratorResult<StoredCommit>> {
    if (this.failure) throw this.failure;
    const queued = this.queued.shift();
    if (queued) return { done: false, value: queued };
    if (this.returned) return { done: true, value: undefined };
    const result = await new Promise<IteratorResult<StoredCommit>>((resolve) => this.waiting.push(resolve));
    if (this.failure) throw this.failure;
    return result;
  }

  async return(): Promise<IteratorResult<StoredCommit>> {
    this.returned = true;
    this.waiting.splice(0).forEach((reader) => reader({ done: true, value: undefined }));
    return { done: true, value: undefined };
  }
}

function stream(last: number): TapSource & { followers: HandFedFollower[]; opened: number[] } {
  const source = {
    followers: [] as HandFedFollower[],
    opened: [] as number[],
    lastSequence: async () => last,
    open: async (after: number) => {
      source.opened.push(after);
      const follower = new HandFedFollower();
      source.followers.push(follower);
      return follower;
    },
  };
  return source;
}

const noReplay = async (): Promise<CommitSource> => {
  throw new Error('no replay expected');
};

async function read(source: CommitSource, count: number): Promise<number[]> {
  const seqs: number[] = [];
  for (let i = 0; i < count; i++) seqs.push(((await source.next()).value as StoredCommit).seq);
  return seqs;
}

describe('shared stream followers (live taps)', () => {
  it('given many subscriptions of one subject starting together, when commits come, then one follower reads them and each subscription gets every one, in order', async () => {
    const taps = new LiveTaps();
    const source = stream(10);

    const subscribers = await Promise.all(Array.from({ length: 20 }, () => taps.follow(SUBJECT, source, undefined, noReplay)));
    source.followers[0].feed(commit(11), commit(12), commit(13));

    expect(source.opened).toEqual([10]);
    for (const subscriber of subscribers) expect(await read(subscriber, 3)).toEqual([11, 12, 13]);
  });

  it('given a subscription resuming, when it resumes at or after what the shared follower handed out, then it joins it without a repeat; further back, it replays on its own', async () => {
    const taps = new LiveTaps();
    const source = stream(10);
    const first = await taps.follow(SUBJECT, source, undefined, noReplay);
    source.followers[0].feed(commit(11), commit(12));
    await read(first, 2);
    const replayed: number[] = [];

    const joined = await taps.follow(SUBJECT, source, 12, noReplay);
    await taps.follow(SUBJECT, source, 5, async (after) => {
      replayed.push(after);
      return new HandFedFollower();
    });
    source.followers[0].feed(commit(13));

    expect(await read(joined, 1)).toEqual([13]);
    expect(replayed).toEqual([5]);
    expect(source.opened).toEqual([10]);
  });

  it(`given a subscriber that lets more than ${TAP_QUEUE_LIMIT} commits pile up, when the next comes, then it alone is dropped: it gets what it had queued, then is told the last sequence it got, and the others go on`, async () => {
    const taps = new LiveTaps();
    const source = stream(0);
    const [slow, quick] = await Promise.all([taps.follow(SUBJECT, source, undefined, noReplay), taps.follow(SUBJECT, source, undefined, noReplay)]);
    source.followers[0].feed(commit(1));
    expect(await read(slow, 1)).toEqual([1]);

    const more = Array.from({ length: TAP_QUEUE_LIMIT + 1 }, (_, i) => commit(i + 2));
    source.followers[0].feed(...more);
    const quickSeqs = await read(quick, 1 + more.length);

    expect(await read(slow, TAP_QUEUE_LIMIT)).toEqual(more.slice(0, TAP_QUEUE_LIMIT).map((c) => c.seq));
    await expect(slow.next()).rejects.toEqual(new FellBehindError(TAP_QUEUE_LIMIT + 1));
    expect(quickSeqs).toEqual([1, ...more.map((c) => c.seq)]);
    expect(source.followers[0].returned).toBe(false);
  });

  it('given the last subscriber leaving, when another subscribes later, then the first follower was ended and a new one starts from the stream as it is then', async () => {
    const taps = new LiveTaps();
    const source = stream(3);
    const only = await taps.follow(SUBJECT, source, undefined, noReplay);

    await only.return();
    const later = await taps.follow(SUBJECT, source, undefined, noReplay);

    expect(source.followers[0].returned).toBe(true);
    expect(source.followers).toHaveLength(2);
    expect(taps.size).toBe(1);
    await later.return();
    expect(taps.size).toBe(0);
  });

  it('given the shared follower failing, when subscribers read, then every one of them gets the error', async () => {
    const taps = new LiveTaps();
    const source = stream(0);
    const subscribers = await Promise.all([taps.follow(SUBJECT, source, undefined, noReplay), taps.follow(SUBJECT, source, undefined, noReplay)]);

    source.followers[0].fail(new Error('the stream is gone'));

    for (const subscriber of subscribers) await expect(subscriber.next()).rejects.toThrow('the stream is gone');
    expect(taps.size).toBe(0);
  });
});
