import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import type { NatsCredentials, NatsTls, StreamReplicas } from '@gastown/bus';
import { MIGRATION_MODES, type MigrationMode } from '../migrations/migrations.lock';
import { DEFAULT_HEAVY_READS, type HeavyReadsSettings } from '../heavy-reads/heavy-reads.pool';
import { DEFAULT_TOWN_LIMITS, egressAllowSetting, type EgressAllowList, type SecretKeyring, type TownLimits } from '@gastown/contracts';
import {
  ConfigError,
  databasePoolMaxSetting,
  databaseUrlSetting,
  namespaceSetting,
  natsConnectionFromEnv,
  natsSettings,
  natsUrlSetting,
  portSetting,
  refineNats,
  refineSecretsKey,
  secretKeyringFromEnv,
  secretsKeySettings,
  townLimitSettings,
  wholeNumberSetting,
} from '@gastown/service-runtime';

/**
 * Everything the gateway reads from its environment. Parsed once at start so a bad value stops
 * the process with a message naming the variable, instead of failing later on first use.
 */
export interface GatewayConfig {
  /**
   * The address the HTTP server binds (GATEWAY_HOST); loopback when absent, because exposing the
   * API is a deployment decision (a container's 0.0.0.0 behind a proxy with TLS).
   */
  readonly host?: string;
  readonly port: number;
  readonly databaseUrl: string;
  /** DATABASE_POOL_MAX: connections of this replica's read-model pool. */
  readonly databasePoolMax?: number;
  /**
   * GATEWAY_MIGRATIONS: run the pending migrations at start under the advisory lock (run), leave
   * them to the migrations Job (skip), or refuse to start while any is pending (check).
   */
  readonly migrations?: MigrationMode;
  readonly natsUrl: string;
  readonly namespace: string;
  /** How long a mutation waits for the read models to show its own write. */
  readonly readModelWaitMs: number;
  /** The built dashboard to serve beside the API, or null for an API-only gateway. */
  readonly dashboardDir: string | null;
  /** NATS_USER/NATS_PASSWORD, NATS_TOKEN or NATS_CREDS_FILE; absent for a server without authorization. */
  readonly natsCredentials?: NatsCredentials;
  /** NATS_TLS_*: absent, TLS only as the URL or the server asks, against the system's roots. */
  readonly natsTls?: NatsTls;
  /** GT_STREAM_REPLICAS; 1 when absent (hand-made test configurations). */
  readonly streamReplicas?: StreamReplicas;
  /**
   * Seals a webhook's signing key before it leaves the gateway, and opens it to show it once.
   * Always set from GASTOWN_SECRETS_KEY; absent only in hand-made test configurations without webhooks.
   */
  readonly secrets?: SecretKeyring;
  /**
   * GASTOWN_EGRESS_ALLOW, as the dispatcher reads it: a webhook whose receiver the dispatcher
   * would refuse is refused when it is added. Absent: no inside address is allowed.
   */
  readonly egressAllow?: EgressAllowList;
  /** What one town may take of the gateway; DEFAULT_FAIR_SHARE when absent. */
  readonly fairShare?: FairShareSettings;
  /** Worker threads for heavy reads; absent, heavy reads run on the main thread (hand-made test configurations). */
  readonly heavyReads?: HeavyReadsSettings;
  /**
   * A heavy-read worker's own app: the same modules, without the projector, the webhook log or
   * the health endpoints, which the main thread runs.
   */
  readonly readerOnly?: boolean;
}

/**
 * Limits that keep one town from slowing the others (see README, fair share). The town limits
 * are the convoy service's, read from the same variables: the bounds of lists in query costs.
 */
export interface FairShareSettings extends TownLimits {
  /** The static cost above which an operation is refused before it runs. */
  readonly maxQueryCost: number;
  /** How long one HTTP operation may run before it is aborted. */
  readonly queryDeadlineMs: number;
  /** Query cost a town may have in flight (burst) and spend per second; a read's unused cost is given back. */
  readonly queryCostBurst: number;
  readonly queryCostPerSecond: number;
  /** A read whose static cost reaches this is heavy: a town runs at most heavyQueriesPerTown of them at once. */
  readonly heavyQueryCost: number;
  readonly heavyQueriesPerTown: number;
  /** Mutations a town may send: burst, then per second. */
  readonly mutationBurst: number;
  readonly mutationsPerSecond: number;
  readonly maxSubscriptionsPerConnection: number;
  readonly maxSubscriptionsPerTown: number;
  /** Open WebSocket connections from one remote address. */
  readonly maxConnectionsPerSource: number;
}

/**
 * A read costs what the town's own data can return (see TownBounds), so ordinary clients' reads
 * stay far below the limit, while nested lists of a town with huge, dense convoys (a bead's
 * blockers' dependents' blockers…) do not fit. Reads are paid before they run, which also caps
 * what one town has in flight at once.
 *
 * 10,000 objects, what paged clients need (a page of the dashboard's convoy view costs about
 * 2,800, its rig view 6,700, a page of gt's beads at most 5,100): at 1,000,000 one admitted read
 * allocated about 500 MB in graphql-js and Nest, and the collector's pauses stopped every other
 * town's requests.
 */
export const DEFAULT_FAIR_SHARE: FairShareSettings = {
  ...DEFAULT_TOWN_LIMITS,
  maxQueryCost: 10_000,
  queryDeadlineMs: 30_000,
  queryCostBurst: 50_000,
  queryCostPerSecond: 20_000,
  heavyQueryCost: 1_000,
  heavyQueriesPerTown: 1,
  mutationBurst: 100,
  mutationsPerSecond: 20,
  maxSubscriptionsPerConnection: 16,
  maxSubscriptionsPerTown: 256,
  maxConnectionsPerSource: 64,
};

/** ConfigError under the name the gateway's callers already catch. */
export class GatewayConfigError extends ConfigError {
  constructor(problems: readonly string[]) {
    super('gateway', problems);
    this.name = 'GatewayConfigError';
  }
}

const integer = (name: string, min: number, max: number, fallback: number) => wholeNumberSetting(name, fallback, { min, max });

/** Loopback: `npm start` and a bare `node main.js` stay reachable from this machine only. */
export const DEFAULT_GATEWAY_HOST = '127.0.0.1';

/** One DNS label: letters, digits and inner hyphens, at most 63 characters. */
const HOST_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/** An IP address or a host name, as `listen` takes it: a URL or a host:port is a mistake to name. */
const listenHost = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    const value = raw ?? DEFAULT_GATEWAY_HOST;
    if (isIP(value) === 0 && (value.length > 253 || !value.split('.').every((label) => HOST_LABEL.test(label)))) {
      ctx.addIssue({
        code: 'custom',
        message:
          'GATEWAY_HOST must be an IP address or a host name to listen on, without scheme or port ' +
          `(0.0.0.0 every IPv4 interface, :: every interface, 127.0.0.1 this machine only; got "${value}")`,
      });
      return z.NEVER;
    }
    return value;
  });

const GatewayEnv = z.object({
  GATEWAY_HOST: listenHost,
  GATEWAY_PORT: portSetting('GATEWAY_PORT', 4000),
  DATABASE_URL: databaseUrlSetting(),
  DATABASE_POOL_MAX: databasePoolMaxSetting(),
  GATEWAY_MIGRATIONS: z
    .string()
    .optional()
    .transform((v) => v || 'run')
    .refine((v): v is MigrationMode => (MIGRATION_MODES as readonly string[]).includes(v), {
      message: 'GATEWAY_MIGRATIONS must be "run" (the default: at start, one replica at a time), "skip" (the migrations Job runs them) or "check" (refuse to start while any is pending)',
    }),
  NATS_URL: natsUrlSetting(),
  GT_NAMESPACE: namespaceSetting(),
  GASTOWN_EGRESS_ALLOW: egressAllowSetting(),
  READ_MODEL_WAIT_MS: integer('READ_MODEL_WAIT_MS', 1, 600_000, 10_000),
  ...townLimitSettings(),
  GATEWAY_MAX_QUERY_COST: integer('GATEWAY_MAX_QUERY_COST', 1, 1_000_000_000_000, DEFAULT_FAIR_SHARE.maxQueryCost),
  GATEWAY_QUERY_DEADLINE_MS: integer('GATEWAY_QUERY_DEADLINE_MS', 1, 600_000, DEFAULT_FAIR_SHARE.queryDeadlineMs),
  GATEWAY_QUERY_COST_BURST: integer('GATEWAY_QUERY_COST_BURST', 1, 1_000_000_000_000, DEFAULT_FAIR_SHARE.queryCostBurst),
  GATEWAY_QUERY_COST_PER_SECOND: integer('GATEWAY_QUERY_COST_PER_SECOND', 1, 1_000_000_000_000, DEFAULT_FAIR_SHARE.queryCostPerSecond),
  GATEWAY_HEAVY_QUERY_COST: integer('GATEWAY_HEAVY_QUERY_COST', 1, 1_000_000_000_000, DEFAULT_FAIR_SHARE.heavyQueryCost),
  GATEWAY_HEAVY_QUERIES_PER_TOWN: integer('GATEWAY_HEAVY_QUERIES_PER_TOWN', 1, 1_000, DEFAULT_FAIR_SHARE.heavyQueriesPerTown),
  GATEWAY_HEAVY_READ_WORKERS: integer('GATEWAY_HEAVY_READ_WORKERS', 0, 64, DEFAULT_HEAVY_READS.workers),
  GATEWAY_HEAVY_READ_HEAP_MB: integer('GATEWAY_HEAVY_READ_HEAP_MB', 64, 65_536, DEFAULT_HEAVY_READS.heapMb),
  GATEWAY_HEAVY_READ_NICE: integer('GATEWAY_HEAVY_READ_NICE', 0, 19, DEFAULT_HEAVY_READS.nice),
  GATEWAY_MUTATION_BURST: integer('GATEWAY_MUTATION_BURST', 1, 1_000_000, DEFAULT_FAIR_SHARE.mutationBurst),
  GATEWAY_MUTATIONS_PER_SECOND: integer('GATEWAY_MUTATIONS_PER_SECOND', 1, 1_000_000, DEFAULT_FAIR_SHARE.mutationsPerSecond),
  GATEWAY_MAX_SUBSCRIPTIONS_PER_CONNECTION: integer('GATEWAY_MAX_SUBSCRIPTIONS_PER_CONNECTION', 1, 1_000, DEFAULT_FAIR_SHARE.maxSubscriptionsPerConnection),
  GATEWAY_MAX_SUBSCRIPTIONS_PER_TOWN: integer('GATEWAY_MAX_SUBSCRIPTIONS_PER_TOWN', 1, 100_000, DEFAULT_FAIR_SHARE.maxSubscriptionsPerTown),
  GATEWAY_MAX_CONNECTIONS_PER_SOURCE: integer('GATEWAY_MAX_CONNECTIONS_PER_SOURCE', 1, 100_000, DEFAULT_FAIR_SHARE.maxConnectionsPerSource),
  DASHBOARD_DIR: z
    .string()
    .optional()
    .superRefine((value, ctx) => {
      if (value !== undefined && !existsSync(join(value, 'index.html'))) {
        ctx.addIssue({ code: 'custom', message: `DASHBOARD_DIR must be a built dashboard holding index.html (nx build dashboard writes dist/apps/dashboard/browser); ${value} holds none` });
      }
    }),
  ...natsSettings(),
  ...secretsKeySettings(),
})
  .superRefine((e, ctx) => {
    refineNats(e, ctx);
    refineSecretsKey(e, ctx);
  });

/** Empty variables count as unset, which is what `FOO= node main.js` means to most people. */
function present(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
}

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const parsed = GatewayEnv.safeParse(present(env));
  if (!parsed.success) throw new GatewayConfigError(parsed.error.issues.map((issue) => issue.message));
  const v = parsed.data;
  const nats = natsConnectionFromEnv(v, 'gateway');
  return {
    host: v.GATEWAY_HOST,
    port: v.GATEWAY_PORT,
    databaseUrl: v.DATABASE_URL,
    databasePoolMax: v.DATABASE_POOL_MAX,
    migrations: v.GATEWAY_MIGRATIONS,
    natsUrl: v.NATS_URL,
    namespace: v.GT_NAMESPACE,
    readModelWaitMs: v.READ_MODEL_WAIT_MS,
    dashboardDir: v.DASHBOARD_DIR ?? null,
    ...(nats.credentials ? { natsCredentials: nats.credentials } : {}),
    ...(nats.tls ? { natsTls: nats.tls } : {}),
    streamReplicas: nats.streamReplicas,
    secrets: secretKeyringFromEnv(v),
    ...(v.GASTOWN_EGRESS_ALLOW.length > 0 ? { egressAllow: v.GASTOWN_EGRESS_ALLOW } : {}),
    fairShare: {
      maxTasks: v.CONVOY_MAX_TASKS,
      maxEdges: v.CONVOY_MAX_EDGES,
      maxRigsPerTown: v.GASTOWN_MAX_RIGS_PER_TOWN,
      maxWebhooksPerTown: v.GASTOWN_MAX_WEBHOOKS_PER_TOWN,
      maxQueryCost: v.GATEWAY_MAX_QUERY_COST,
      queryDeadlineMs: v.GATEWAY_QUERY_DEADLINE_MS,
      queryCostBurst: v.GATEWAY_QUERY_COST_BURST,
      queryCostPerSecond: v.GATEWAY_QUERY_COST_PER_SECOND,
      heavyQueryCost: v.GATEWAY_HEAVY_QUERY_COST,
      heavyQueriesPerTown: v.GATEWAY_HEAVY_QUERIES_PER_TOWN,
      mutationBurst: v.GATEWAY_MUTATION_BURST,
      mutationsPerSecond: v.GATEWAY_MUTATIONS_PER_SECOND,
      maxSubscriptionsPerConnection: v.GATEWAY_MAX_SUBSCRIPTIONS_PER_CONNECTION,
      maxSubscriptionsPerTown: v.GATEWAY_MAX_SUBSCRIPTIONS_PER_TOWN,
      maxConnectionsPerSource: v.GATEWAY_MAX_CONNECTIONS_PER_SOURCE,
    },
    heavyReads: { workers: v.GATEWAY_HEAVY_READ_WORKERS, heapMb: v.GATEWAY_HEAVY_READ_HEAP_MB, nice: v.GATEWAY_HEAVY_READ_NICE },
  };
}
