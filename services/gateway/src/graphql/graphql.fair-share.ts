import { HeaderMap, type ApolloServerPlugin, type GraphQLRequestContextResponseForOperation, type GraphQLRequestContextWillSendResponse, type GraphQLResponse } from '@apollo/server';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { formatGraphQLError } from './graphql.errors';
import type { FairShareSettings } from '../config/gateway.config';
import type { HeavyReadsPool } from '../heavy-reads/heavy-reads.pool';
import { SerialisedData } from '../heavy-reads/heavy-reads.protocol';
import type { GatewayContext } from './graphql.context';
import { costModel, mutationGrowth, operationCost, rootFieldCount, type CostModel, type Growth, type TownBounds } from './graphql.cost';
import { TownBuckets, type BucketState } from './graphql.rate-limit';
import { TimeSlicer } from './graphql.time-slice';
import { observeAdmittedCost, operationLabels } from './graphql.telemetry';
import { TownGate } from './graphql.town-gate';

/** Heavy reads of one town that may wait for its running ones; more are refused (RATE_LIMITED). */
export const HEAVY_QUERIES_QUEUED = 4;
/** What a refused heavy read is told to wait: about the time one heavy read takes. */
export const HEAVY_QUERY_RETRY_MS = 1_000;

/** Codes of the fair-share refusals; clients act on them (wait, ask for less). */
export const FAIR_SHARE_CODES = ['QUERY_TOO_COSTLY', 'RATE_LIMITED', 'DEADLINE_EXCEEDED'] as const;

/** What every response says about its cost, in Shopify's shape so clients can pace themselves. */
export interface CostExtension {
  readonly requestedQueryCost: number;
  readonly actualQueryCost: number;
  readonly maximumQueryCost: number;
  readonly throttleStatus: BucketState;
}

export function rateLimited(what: string, retryAfterMs: number): GraphQLError {
  const seconds = (retryAfterMs / 1000).toFixed(retryAfterMs < 10_000 ? 1 : 0);
  return new GraphQLError(`rate limited: ${what}; retry in ${seconds} s`, {
    extensions: { code: 'RATE_LIMITED', retryAfterMs, http: { status: 429, headers: new Map([['retry-after', String(Math.ceil(retryAfterMs / 1000))]]) } },
  });
}

/**
 * Objects in a result: what a query actually cost, the same unit as the static estimate. Walked
 * in the request's time slices (every `every` values), as a large answer is resolved.
 */
export async function countObjects(value: unknown, slicer: Pick<TimeSlicer, 'run'>, every = 1_024): Promise<number> {
  let count = 0;
  let visited = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (++visited % every === 0) await slicer.run(() => undefined);
    if (item === null || typeof item !== 'object') continue;
    if (!Array.isArray(item)) count += 1;
    for (const child of Object.values(item)) if (child !== null && typeof child === 'object') stack.push(child);
  }
  return count;
}

async function inWorker(heavyReads: HeavyReadsPool, ctx: GraphQLRequestContextResponseForOperation<GatewayContext>, deadlineMs: number): Promise<GraphQLResponse> {
  const { request, contextValue } = ctx;
  const http = { status: undefined as number | undefined, headers: new HeaderMap() };
  try {
    const answer = await heavyReads.run({
      town: { id: contextValue.town.id, name: contextValue.town.name },
      query: request.query as string,
      variables: request.variables ?? {},
      operationName: request.operationName ?? null,
      deadlineMs,
    });
    // As Apollo answers variables that do not fit the operation.
    if (answer.dataJson === null) http.status = 400;
    const data = answer.dataJson === null ? {} : { data: new SerialisedData(answer.dataJson, answer.objects) as unknown as Record<string, unknown> };
    return { http, body: { kind: 'single', singleResult: { ...data, ...(answer.errors ? { errors: answer.errors as GraphQLFormattedError[] } : {}) } } };
  } catch (error) {
    const refused = error instanceof GraphQLError ? error : new GraphQLError(String(error));
    http.status = (refused.extensions['http'] as { status?: number } | undefined)?.status;
    // Without `data`, as a refusal before execution: Nest's driver would answer 200 for a result with data.
    return { http, body: { kind: 'single', singleResult: { errors: [formatGraphQLError(refused.toJSON(), refused)] } } };
  }
}

/** The per-town buckets, shared by every request of the gateway process. */
export class FairShare {
  readonly model: CostModel;
  readonly queryCost: TownBuckets;
  readonly mutations: TownBuckets;
  readonly heavy: TownGate;

  constructor(
    readonly settings: FairShareSettings,
    /** The town's own largest lists; without it, every read is priced at CONVOY_MAX_TASKS. */
    readonly townBounds: ((townId: string) => Promise<TownBounds>) | null = null,
    clock: () => number = Date.now,
  ) {
    this.model = costModel(settings);
    this.queryCost = new TownBuckets({ burst: settings.queryCostBurst, perSecond: settings.queryCostPerSecond }, clock);
    this.mutations = new TownBuckets({ burst: settings.mutationBurst, perSecond: settings.mutationsPerSecond }, clock);
    this.heavy = new TownGate(settings.heavyQueriesPerTown, HEAVY_QUERIES_QUEUED);
  }

  /**
   * The prices for one town: its own largest lists when they are known, grown for a mutation by
   * what it sends (mutationGrowth), as its answer may hold a convoy no read model shows yet.
   */
  async modelFor(townId: string, growth: Growth | null = null): Promise<CostModel> {
    if (!this.townBounds) return this.model;
    const town = await this.townBounds(townId);
    if (growth === null) return costModel({ ...this.settings, town });
    return costModel({ ...this.settings, town: { ...town, beadsPerConvoy: town.beadsPerConvoy + growth.beads, edgesPerConvoy: town.edgesPerConvoy + growth.edges } });
  }
}

interface RequestCost {
  requested: number;
  /** Taken from the town's query bucket before running; what the query did not use is given back. */
  taken: number;
  town: string | null;
  /** Admitted through the town's gate of heavy reads, which it leaves when its answer is ready. */
  heavy: boolean;
}

/**
 * Apollo plugin: refuses an operation whose static cost exceeds the budget before it runs,
 * spends the town's mutation and query-cost buckets, aborts execution past the deadline, and
 * reports the cost in `extensions.cost` of every response. HTTP only: subscriptions are bounded
 * per connection and per town in graphql.websocket.ts. With `heavyReads`, an admitted heavy read
 * runs in a worker thread (heavy-reads.pool.ts) and its answer comes back as JSON.
 */
export function fairSharePlugin(fair: FairShare, heavyReads: HeavyReadsPool | null = null): ApolloServerPlugin<GatewayContext> {
  const { settings } = fair;
  const report = async (ctx: GraphQLRequestContextWillSendResponse<GatewayContext>, cost: RequestCost): Promise<void> => {
    const body = ctx.response.body;
    if (body.kind !== 'single') return;
    const result = body.singleResult;
    if (ctx.contextValue.deadline.exceeded) {
      // One error for the request, not one per field that was cut off.
      result.data = null;
      const { message, extensions } = ctx.contextValue.deadline.error();
      result.errors = [{ message, extensions: { ...extensions } }];
    }
    const actual = result.data instanceof SerialisedData ? result.data.objects : await countObjects(result.data, ctx.contextValue.slicer ?? new TimeSlicer());
    if (cost.town === null) return;
    const bucket = fair.queryCost.of(cost.town);
    bucket.charge(actual - cost.taken, fair.queryCost.now);
    const extension: CostExtension = {
      requestedQueryCost: cost.requested,
      actualQueryCost: actual,
      maximumQueryCost: settings.maxQueryCost,
      throttleStatus: bucket.state(fair.queryCost.now),
    };
    result.extensions = { ...result.extensions, cost: extension };
  };

  return {
    async requestDidStart() {
      const cost: RequestCost = { requested: 0, taken: 0, town: null, heavy: false };
      return {
        async didResolveOperation({ schema, document, operation, request, contextValue }) {
          cost.town = contextValue.town.id;
          // Apollo refuses a document without a resolvable operation before this hook.
          if (!operation) return;
          const reading = operation.operation !== 'mutation';
          const input = { schema: schema as GraphQLSchema, document, operation, variables: request.variables ?? {} };
          const model = await fair.modelFor(cost.town, reading ? null : mutationGrowth(input));
          cost.requested = operationCost(model, input);
          // A read is paid before it runs, so no town has more at once in flight than its bucket holds.
          const limit = reading ? Math.min(settings.maxQueryCost, settings.queryCostBurst) : settings.maxQueryCost;
          if (cost.requested > limit) {
            throw new GraphQLError(
              `the operation costs ${cost.requested}, above the limit of ${limit}: ask for fewer items (first), fewer aliases or less nesting`,
              { extensions: { code: 'QUERY_TOO_COSTLY', cost: cost.requested, limit, http: { status: 400 } } },
            );
          }
          if (reading) {
            const wait = fair.queryCost.of(cost.town).take(cost.requested, fair.queryCost.now);
            if (wait > 0) throw rateLimited(`the town's queries cost more than ${settings.queryCostPerSecond} a second`, wait);
            cost.taken = cost.requested;
            if (cost.requested >= settings.heavyQueryCost) {
              const admitted = fair.heavy.enter(cost.town);
              if (!admitted) {
                throw rateLimited(
                  `the town already runs ${settings.heavyQueriesPerTown} read(s) costing ${settings.heavyQueryCost} or more, and ${HEAVY_QUERIES_QUEUED} wait`,
                  HEAVY_QUERY_RETRY_MS,
                );
              }
              cost.heavy = true;
              await admitted;
              contextValue.slicer = new TimeSlicer();
            }
          } else {
            const writes = rootFieldCount(document, operation);
            if (writes > settings.mutationBurst) {
              throw new GraphQLError(`the operation holds ${writes} mutations; at most ${settings.mutationBurst} may be sent at once`, {
                extensions: { code: 'BAD_USER_INPUT', limit: settings.mutationBurst, http: { status: 400 } },
              });
            }
            const wait = fair.mutations.of(cost.town).take(writes, fair.mutations.now);
            if (wait > 0) throw rateLimited(`the town sends more than ${settings.mutationsPerSecond} mutations a second`, wait);
          }
          observeAdmittedCost(operationLabels(document, operation), cost.requested);
        },
        async responseForOperation(ctx) {
          if (!heavyReads || !cost.heavy || ctx.operation?.operation !== 'query' || ctx.request.query === undefined) return null;
          return inWorker(heavyReads, ctx, settings.queryDeadlineMs);
        },
        async executionDidStart({ operation, contextValue }) {
          // A mutation is bounded by READ_MODEL_WAIT_MS instead: cutting it short after its write would hide what it did.
          if (operation?.operation !== 'mutation') contextValue.deadline.start(settings.queryDeadlineMs);
        },
        async willSendResponse(ctx) {
          try {
            await report(ctx, cost);
          } finally {
            if (cost.heavy && cost.town !== null) fair.heavy.leave(cost.town);
          }
        },
      };
    },
  };
}
