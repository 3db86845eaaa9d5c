import { buildSchema, parse, type ExecutionResult } from 'graphql';
import { selectionKey, SharedResults, sharedSubscribe } from './graphql.subscriptions';

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
});
