import { TimeSlicer } from './graphql.time-slice';

/** A clock the test moves, and the loop's next turn held until the test runs it. */
function harness(sliceMs = 4) {
  let now = 0;
  let turn: (() => void)[] = [];
  const slicer = new TimeSlicer(sliceMs, () => now, (work) => turn.push(work));
  return {
    slicer,
    advance: (ms: number) => (now += ms),
    /** Runs what waits for the next turn of the loop, in order, and the microtasks it leaves. */
    turn: async () => {
      const due = turn;
      turn = [];
      for (const work of due) work();
      await new Promise((settled) => setImmediate(settled));
    },
  };
}

describe('time slicer', () => {
  it('given a fresh slice, when resolvers run, then they answer at once without a turn of the loop', () => {
    const { slicer } = harness();

    expect(slicer.run(() => 'id')).toBe('id');
    expect(slicer.run(() => 'title')).toBe('title');
  });

  it('given a request that spent its slice and then waited for the database, when it resumes in a later turn, then its slice is whole again', async () => {
    const h = harness();
    h.slicer.run(() => undefined);
    h.advance(5);
    await h.turn();

    expect(h.slicer.run(() => 'rows')).toBe('rows');
  });

  it('given a spent slice, when resolvers run, then they wait for the next turn and run then, in order', async () => {
    const h = harness();
    h.slicer.run(() => undefined);
    h.advance(5);
    const order: string[] = [];

    const first = h.slicer.run(() => order.push('first'));
    const second = h.slicer.run(() => order.push('second'));

    expect(order).toEqual([]);
    await h.turn();
    await Promise.all([first, second]);
    expect(order).toEqual(['first', 'second']);
  });

  it('given more waiting work than one slice holds, when a turn comes, then it runs one slice and leaves the rest for the next turn', async () => {
    const h = harness(4);
    h.slicer.run(() => undefined);
    h.advance(5);
    const ran: number[] = [];
    const all = Array.from({ length: 5 }, (_, i) =>
      h.slicer.run(() => {
        ran.push(i);
        h.advance(3);
      }),
    );

    await h.turn();
    expect(ran).toEqual([0, 1]);
    await h.turn();
    expect(ran).toEqual([0, 1, 2, 3]);
    await h.turn();
    await Promise.all(all);
    expect(ran).toEqual([0, 1, 2, 3, 4]);
  });

  it('given a waiting resolver that throws, when its turn comes, then its promise rejects and the others still run', async () => {
    const h = harness();
    h.slicer.run(() => undefined);
    h.advance(5);

    const failing = h.slicer.run(() => {
      throw new Error('deadline');
    });
    const after = h.slicer.run(() => 'after');
    const refused = expect(failing).rejects.toThrow('deadline');
    await h.turn();

    await refused;
    await expect(after).resolves.toBe('after');
  });
});
