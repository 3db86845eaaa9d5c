import {
  createSourceEventStream,
  execute,
  getOperationAST,
  GraphQLError,
  Kind,
  print,
  visit,
  type ASTNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
} from 'graphql';
import type { GatewayContext } from './graphql.context';
import { countObjects } from './graphql.fair-share';
import { TimeSlicer } from './graphql.time-slice';

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

/** A change's result and what it holds, in objects (the unit of the query cost). */
export interface PricedResult {
  readonly result: ExecutionResult;
  readonly objects: number;
}

/**
 * Who pays for the changes subscriptions deliver: the town's query-cost bucket, which its queries
 * draw on too. A change is paid by every subscriber it is sent to, at what its result holds.
 */
export interface ChangeBilling {
  /** A refusal when the selection could cost more per change than the town may spend at once. */
  admit(townId: string, args: ExecutionArgs): Promise<GraphQLError | null>;
  /** Ms until the town may be sent a change again; 0 when now. A town in debt is sent nothing. */
  wait(townId: string): number;
  charge(townId: string, objects: number): void;
}

/** Results of recent changes, per selection; the oldest are forgotten. */
export class SharedResults {
  private readonly entries = new Map<string, Promise<PricedResult>>();

  constructor(private readonly capacity = 512) {}

  get(key: string, run: () => Promise<PricedResult>): Promise<PricedResult> {
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

const sequenceOf = (payload: unknown): number | null => {
  const sequence = (payload as { sequence?: unknown } | null)?.sequence;
  return typeof sequence === 'number' ? sequence : null;
};

/**
 * The subscriber's town spent its query budget: this subscription ends, and the client subscribes
 * again when told, after the last change it received, so it misses nothing.
 */
function budgetSpent(retryAfterMs: number, lastSequence: number | null): GraphQLError {
  const seconds = (retryAfterMs / 1000).toFixed(retryAfterMs < 10_000 ? 1 : 0);
  const resume = lastSequence === null ? 'with the afterSequence it started from' : `with afterSequence ${lastSequence}`;
  return new GraphQLError(
    `rate limited: the town's queries and subscriptions received more than its query budget; subscribe again in ${seconds} s ${resume} to resume without missing a change`,
    { extensions: { code: 'RATE_LIMITED', retryAfterMs, ...(lastSequence === null ? {} : { sequence: lastSequence }) } },
  );
}

/**
 * graphql-ws's subscribe: graphql-js's own, except that a change marked Shareable is executed once
 * per selection for all the town's subscribers that receive it. 256 subscriptions of one town
 * following its convoys cost one execution per change, not 256, whatever each one resumed from.
 * With `billing`, each change sent is paid from the subscriber's town's query budget at what its
 * result holds, so a town's subscriptions cost it as its queries do; a town in debt is cut off.
 */
export function sharedSubscribe(
  results = new SharedResults(),
  billing: ChangeBilling | null = null,
): (args: ExecutionArgs) => Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  return async (args) => {
    const townId = (args.contextValue as Partial<GatewayContext> | undefined)?.town?.id ?? null;
    const refused = billing && townId !== null ? await billing.admit(townId, args) : null;
    if (refused) return { errors: [refused] };
    const source = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in source)) return source;
    const selection = selectionKey(args);
    let lastSequence: number | null = null;
    return mapSource(source, async (payload) => {
      if (billing && townId !== null) {
        const wait = billing.wait(townId);
        if (wait > 0) throw budgetSpent(wait, lastSequence);
      }
      const run = async (): Promise<PricedResult> => {
        const result = await execute({ ...args, rootValue: payload });
        return { result, objects: billing ? await countObjects(result.data, new TimeSlicer()) : 0 };
      };
      const { result, objects } = await (selection === null || !isShareable(payload) ? run() : results.get(`${payload.shareKey}\n${selection}`, run));
      if (billing && townId !== null) billing.charge(townId, objects);
      lastSequence = sequenceOf(payload) ?? lastSequence;
      return result;
    });
  };
}
