import {
  createSourceEventStream,
  execute,
  getOperationAST,
  Kind,
  print,
  visit,
  type ASTNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
} from 'graphql';

/**
 * A subscription payload whose answer depends on nothing but the change and the selection: every
 * subscriber of the same town that selects the same fields of the same change gets the same
 * result. `shareKey` names the change within the town (town, stream sequence, what changed).
 */
export interface Shareable {
  readonly shareKey: string;
}

const isShareable = (payload: unknown): payload is Shareable =>
  typeof payload === 'object' && payload !== null && typeof (payload as Partial<Shareable>).shareKey === 'string';

/** Results of recent changes, per selection; the oldest are forgotten. */
export class SharedResults {
  private readonly entries = new Map<string, Promise<ExecutionResult>>();

  constructor(private readonly capacity = 512) {}

  get(key: string, run: () => Promise<ExecutionResult> | ExecutionResult): Promise<ExecutionResult> {
    const cached = this.entries.get(key);
    if (cached) return cached;
    const running = Promise.resolve().then(run);
    this.entries.set(key, running);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    return running;
  }
}

function variablesIn(node: ASTNode): Set<string> {
  const names = new Set<string>();
  visit(node, { Variable: (variable) => void names.add(variable.name.value) });
  return names;
}

/**
 * What decides a subscriber's answer besides the change: the root field's selection (alias,
 * directives, sub-fields; not its arguments, which only choose the changes), the fragments and
 * the variables these use. Null when the root is not a single field, which is then not shared.
 */
export function selectionKey(args: ExecutionArgs): string | null {
  const operation = getOperationAST(args.document, args.operationName);
  const [root, ...others] = operation?.selectionSet.selections ?? [];
  if (root?.kind !== Kind.FIELD || others.length > 0) return null;
  const selection: FieldNode = { ...root, arguments: [] };
  const fragments = args.document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION);
  const used = new Set([...variablesIn(selection), ...fragments.flatMap((f) => [...variablesIn(f)])]);
  const values = Object.fromEntries([...used].sort().map((name) => [name, args.variableValues?.[name] ?? null]));
  return [print(selection), ...fragments.map((f) => print(f)), JSON.stringify(values)].join('\n');
}

function mapSource<T>(source: AsyncIterable<unknown>, map: (payload: unknown) => Promise<T>): AsyncIterableIterator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const close = async (): Promise<IteratorResult<T>> => {
    await iterator.return?.();
    return { done: true, value: undefined };
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      const next = await iterator.next();
      if (next.done) return { done: true, value: undefined };
      try {
        return { done: false, value: await map(next.value) };
      } catch (error) {
        await close();
        throw error;
      }
    },
    return: close,
    async throw(error?: unknown) {
      await close();
      throw error;
    },
  };
}

/**
 * graphql-ws's subscribe: graphql-js's own, except that a change marked Shareable is executed once
 * per selection for all the town's subscribers that receive it. 256 subscriptions of one town
 * following its convoys cost one execution per change, not 256, whatever each one resumed from.
 */
export function sharedSubscribe(results = new SharedResults()): (args: ExecutionArgs) => Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  return async (args) => {
    const source = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in source)) return source;
    const selection = selectionKey(args);
    return mapSource(source, (payload) => {
      const run = () => execute({ ...args, rootValue: payload });
      if (selection === null || !isShareable(payload)) return Promise.resolve(run());
      return results.get(`${payload.shareKey}\n${selection}`, run);
    });
  };
}
