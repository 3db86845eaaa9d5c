import { Counter, Gauge, Histogram, register } from 'prom-client';

/**
 * Every Prometheus series Gastown exports, in one table so that names, units and labels follow
 * one convention (metrics.unit.spec.ts holds them to it): `gastown_` prefix, base units in the
 * name (`_seconds`), counters ending in `_total`, and labels from a closed vocabulary whose values
 * are bounded by the code (a command type, an outcome, a consumer, a job kind), never by the data:
 * no town, convoy, bead, rig or operation name a client chose. Every series also carries the
 * `service` label that service-runtime sets for the whole process.
 *
 * A metric is registered on first use, so a process exports only the series it has.
 */
export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricDefinition {
  readonly type: MetricType;
  readonly help: string;
  readonly labelNames: readonly MetricLabel[];
  readonly buckets?: readonly number[];
}

/** The only label names a Gastown series may have. */
export const METRIC_LABELS = ['command', 'outcome', 'consumer', 'kind', 'state', 'operation', 'field', 'step'] as const;
export type MetricLabel = (typeof METRIC_LABELS)[number];

/** From 5 ms to a minute: commands, GraphQL operations, a bead waiting for a polecat. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** From 100 ms to 2 h: git work and agents. */
const WORK_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1_800, 3_600, 7_200];
/** Query costs, up to the default GATEWAY_MAX_QUERY_COST and beyond. */
const COST_BUCKETS = [1, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 50_000];

export const METRICS = {
  gastown_command_duration_seconds: {
    type: 'histogram',
    help: 'Convoy and town commands handled by the convoy service, by command type and outcome (OK, DUPLICATE or the error code)',
    labelNames: ['command', 'outcome'],
    buckets: LATENCY_BUCKETS,
  },
  gastown_consumer_pending_messages: {
    type: 'gauge',
    help: 'Messages of the stream not yet delivered to the consumer (its lag), read from the server at scrape time',
    labelNames: ['consumer'],
  },
  gastown_consumer_ack_pending_messages: {
    type: 'gauge',
    help: 'Messages delivered to the consumer and not yet acknowledged',
    labelNames: ['consumer'],
  },
  gastown_consumer_redeliveries_total: {
    type: 'counter',
    help: 'Deliveries after the first of a message to this process (a failure, a crash or an expired ack wait before it)',
    labelNames: ['consumer'],
  },
  gastown_consumer_messages_total: {
    type: 'counter',
    help: 'Messages this process settled, by outcome: acked, retried (nak with back-off) or parked (dead letter)',
    labelNames: ['consumer', 'outcome'],
  },
  gastown_projector_lag_messages: {
    type: 'gauge',
    help: 'Commits of the event stream the read models have not applied yet',
    labelNames: [],
  },
  gastown_projector_lag_seconds: {
    type: 'gauge',
    help: 'Age of the oldest commit the read models have not applied yet; 0 when caught up',
    labelNames: [],
  },
  gastown_holds: {
    type: 'gauge',
    help: "Subjects this service holds on a message it cannot apply, until the operator's retry or skip",
    labelNames: [],
  },
  gastown_dispatch_latency_seconds: {
    type: 'histogram',
    help: 'From the commit that made a bead ready to the commit that dispatched it to a polecat',
    labelNames: [],
    buckets: LATENCY_BUCKETS,
  },
  gastown_agents: {
    type: 'gauge',
    help: 'Agent attempts this git-runner is running, by state: running, or stopping (cancelled or drained, not yet ended)',
    labelNames: ['state'],
  },
  gastown_git_job_duration_seconds: {
    type: 'histogram',
    help: 'Git-runner jobs from pull to settle, by kind (agent, branch, merge, land) and outcome (ok, retry, failed)',
    labelNames: ['kind', 'outcome'],
    buckets: WORK_BUCKETS,
  },
  gastown_polecat_step_duration_seconds: {
    type: 'histogram',
    help: "An agent attempt's steps in the git-runner: worktree (feature branch and worktree made), start (BeadStarted recorded), agent (the agent's run), size (the worktree measured), commit, push, cleanup (worktree removed) and submit (the outcome recorded and reported); all but agent are the runner's own overhead",
    labelNames: ['step'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1_800, 7_200],
  },
  gastown_rig_git_seconds: {
    type: 'histogram',
    help: "A rig repository's git operations in the git-runner (createWorktree, commitAll, pushBranch, removeWorktree, buildBatch, pushMerge…), by state: waiting (for the rig's clone-wide queue, or for a gc or recovery to end) and running",
    labelNames: ['operation', 'state'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  },
  gastown_refinery_check_runs_total: {
    type: 'counter',
    help: "The refinery's check runs on merge batches and their prefixes, by outcome: PASSED, FAILED, FLAKY (failed, then passed on the same tree) or STOPPED (a speculative run whose base went red)",
    labelNames: ['outcome'],
  },
  gastown_refinery_batches_total: {
    type: 'counter',
    help: "The refinery's merge batches, by outcome: MERGED, SPLIT (bisected: a culprit sent back) or DISCARDED (speculative on a red batch, or not pushed)",
    labelNames: ['outcome'],
  },
  gastown_webhook_deliveries_total: {
    type: 'counter',
    help: 'Webhook delivery attempts, by outcome: delivered, retry (the receiver failed, tried again later), failed (given up) or refused (address not allowed)',
    labelNames: ['outcome'],
  },
  gastown_graphql_operation_duration_seconds: {
    type: 'histogram',
    help: 'GraphQL queries and mutations answered by the gateway, over HTTP or graphql-ws, by operation type, first root field and outcome (ok or the error code)',
    labelNames: ['operation', 'field', 'outcome'],
    buckets: LATENCY_BUCKETS,
  },
  gastown_graphql_subscription_starts_total: {
    type: 'counter',
    help: 'GraphQL subscriptions started over graphql-ws, by first root field and outcome (ok, or the error code of a start that was refused)',
    labelNames: ['field', 'outcome'],
  },
  gastown_graphql_operation_cost: {
    type: 'histogram',
    help: 'Static cost of the GraphQL operations the gateway admitted, by operation type and first root field',
    labelNames: ['operation', 'field'],
    buckets: COST_BUCKETS,
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof METRICS;
type NamesOf<T extends MetricType> = { [K in MetricName]: (typeof METRICS)[K]['type'] extends T ? K : never }[MetricName];
type LabelsOf<K extends MetricName> = Partial<Record<(typeof METRICS)[K]['labelNames'][number], string>>;

const collectors = new Map<MetricName, Set<(set: (labels: Record<string, string>, value: number) => void) => void | Promise<void>>>();

function create(name: MetricName): Counter | Gauge | Histogram {
  const existing = register.getSingleMetric(name);
  if (existing) return existing as Counter | Gauge | Histogram;
  const definition: MetricDefinition = METRICS[name];
  const common = { name, help: definition.help, labelNames: [...definition.labelNames], registers: [register] };
  switch (definition.type) {
    case 'counter':
      return new Counter(common);
    case 'histogram':
      return new Histogram({ ...common, buckets: [...(definition.buckets ?? [])] });
    case 'gauge':
      return new Gauge({
        ...common,
        // Gauges read at scrape time start afresh, so a consumer that stopped leaves no stale series.
        async collect() {
          this.reset();
          const sources = [...(collectors.get(name) ?? [])];
          // A source that fails (a server that does not answer) leaves its series out, not the whole scrape.
          await Promise.all(sources.map(async (source) => source((labels, value) => this.set(labels, value))).map((p) => p.catch(() => undefined)));
        },
      });
  }
}

export function counter<K extends NamesOf<'counter'>>(name: K): { inc(labels?: LabelsOf<K>, by?: number): void } {
  const metric = create(name) as Counter;
  return { inc: (labels = {}, by = 1) => metric.inc(labels as Record<string, string>, by) };
}

export function histogram<K extends NamesOf<'histogram'>>(name: K): { observe(labels: LabelsOf<K>, value: number): void } {
  const metric = create(name) as Histogram;
  return { observe: (labels, value) => metric.observe(labels as Record<string, string>, value) };
}

/**
 * Adds a source to a gauge read at scrape time; several sources (consumers, holds of several
 * kinds) may feed one gauge. Returns the function that removes the source.
 */
export function gaugeSource<K extends NamesOf<'gauge'>>(
  name: K,
  source: (set: (labels: LabelsOf<K>, value: number) => void) => void | Promise<void>,
): () => void {
  create(name);
  let sources = collectors.get(name);
  if (!sources) collectors.set(name, (sources = new Set()));
  const entry = source as (set: (labels: Record<string, string>, value: number) => void) => void | Promise<void>;
  sources.add(entry);
  return () => sources.delete(entry);
}

/** Seconds since a performance.now() reading. */
export function secondsSince(startedMs: number): number {
  return (performance.now() - startedMs) / 1000;
}
