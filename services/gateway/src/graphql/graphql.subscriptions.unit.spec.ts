import { buildSchema, parse, type ExecutionResult } from 'graphql';
import { selectionKey, SharedResults, sharedSubscribe, type ChangeBilling } from './graphql.subscriptions';

const schema = buildSchema(`
  type Query { ok: Boolean }
  type Change { sequence: Int! label(upper: Boolean): String! }
  type Subscription { changed(after: Int): Change! }
`);

const args = (query: string, variableValues: Record<string, unknown> = {}) => ({ schema, document: parse(query), variableValues });

describe('shared subscription results', () => {
  it('given the same selection with different root arguments, when keyed, then the keys are equal; a variable used below the root changes the key', () => {
    const a = selectionKey(args('subscription ($after: Int) { changed(after: $after) { sequence } }', { after: 1 }));
    const b = selectionKey(args('subscription ($after: Int) { changed(after: $after) { sequence } }', { after: 900 }));
    const upper = selectionKey(args('subscription ($u: Boolean) { changed { label(upper: $u) } }', { u: true }));
    const lower = selectionKey(args('subscription ($u: Boolean) { changed { label(upper: $u) } }', { u: false }));

    expect(a).toBe(b);
    expect(upper).not.toBe(lower);
  });

  it('given a root that is not one field, when keyed, then it is not shared', () => {
    expect(selectionKey(args('subscription { ...F } fragment F on Subscription { changed { sequence } }'))).toBeNull();
  });

  it('given two subscribers of one shareable change, when it arrives, then it is executed once and both get that result; an unmarked change is executed for each', async () => {
    let executions = 0;
    const payloads = (marked: boolean) => ({
      async *[Symbol.asyncIterator]() {
        const change = { sequence: 7, label: () => `run ${++executions}` };
        yield { changed: marked ? change : { ...change } , ...(marked ? { shareKey: 'town 7' } : {}) };
      },
    });
    const subscribe = sharedSubscribe(new SharedResults());
    const subscription = (marked: boolean) =>
      subscribe({ ...args('subscription { changed { sequence label } }'), rootValue: { changed: () => payloads(marked) } }) as Promise<AsyncIterableIterator<ExecutionResult>>;
    const first = async (marked: boolean) => (await (await subscription(marked)).next()).value as ExecutionResult;

    const shared = await Promise.all([first(true), first(true)]);
    const separate = await Promise.all([first(false), first(false)]);

    expect(shared[0]).toBe(shared[1]);
    expect(shared[0].data).toEqual({ changed: { sequence: 7, label: 'run 1' } });
    expect(separate.map((r) => r.data)).toEqual([{ changed: { sequence: 7, label: 'run 2' } }, { changed: { sequence: 7, label: 'run 3' } }]);
  });

  describe('billed to the town', () => {
    /** A budget in objects that refills only when the test says so. */
    const budget = (available: number) => {
      const charged: [string, number][] = [];
      const billing: ChangeBilling & { available: number; charged: [string, number][] } = {
        available,
        charged,
        admit: async () => null,
        wait: () => (billing.available >= 1 ? 0 : 1_500),
        charge: (townId, objects) => {
          billing.available -= objects;
          charged.push([townId, objects]);
        },
      };
      return billing;
    };
    const changes = (...sequences: number[]) => ({
      async *[Symbol.asyncIterator]() {
        // The gateway's payloads carry their sequence; `changed` is what the root field resolves to.
        for (const sequence of sequences) yield { sequence, changed: { sequence, label: () => `change ${sequence}` }, shareKey: `town ${sequence}` };
      },
    });
    const subscribeAs = (subscribe: ReturnType<typeof sharedSubscribe>, townId: string, ...sequences: number[]) =>
      subscribe({
        ...args('subscription { changed { sequence label } }'),
        contextValue: { town: { id: townId } },
        rootValue: { changed: () => changes(...sequences) },
      }) as Promise<AsyncIterableIterator<ExecutionResult>>;

    it('given two subscribers of one shared change, when it is sent, then each pays what its result holds, to its own town', async () => {
      const billing = budget(100);
      const subscribe = sharedSubscribe(new SharedResults(), billing);

      const [a, b] = await Promise.all([subscribeAs(subscribe, 'town-a', 1), subscribeAs(subscribe, 'town-b', 1)]);
      await Promise.all([a.next(), b.next()]);

      // { changed: { sequence, label } }: the root object and the change.
      expect(billing.charged).toEqual([
        ['town-a', 2],
        ['town-b', 2],
      ]);
    });

    it('given a town whose budget runs out, when the next change arrives, then the subscription ends RATE_LIMITED, naming the wait and the last sequence it received', async () => {
      const billing = budget(3);
      const subscription = await subscribeAs(sharedSubscribe(new SharedResults(), billing), 'town-a', 4, 9, 12);

      const received = [await subscription.next(), await subscription.next()];
      const cut = subscription.next();

      expect(received.map((r) => (r.value as ExecutionResult).data)).toEqual([{ changed: { sequence: 4, label: 'change 4' } }, { changed: { sequence: 9, label: 'change 9' } }]);
      await expect(cut).rejects.toMatchObject({
        message: expect.stringContaining('subscribe again in 1.5 s with afterSequence 9'),
        extensions: { code: 'RATE_LIMITED', retryAfterMs: 1_500, sequence: 9 },
      });
      expect(await subscription.next()).toEqual({ done: true, value: undefined });
    });
  });
});
