import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, errors as natsErrors, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { Kvm, type KV, type KvOptions } from '@nats-io/kv';
import { Objm, type ObjectStore, type ObjectStoreOptions } from '@nats-io/obj';
import { names as namesOf, type Names } from '@gastown/contracts';
import { assertServerVersion } from './jetstream.capabilities';
import { withAtomicSwaps } from './kv.swaps';

/** One line per call; callers never pass message bodies. */
export interface BusLogger {
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

export interface Bus {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly names: Names;
  readonly log: BusLogger;
  /** Copies of every stream, KV bucket and object store this bus creates (GT_STREAM_REPLICAS). */
  readonly streamReplicas: StreamReplicas;
  close(): Promise<void>;
}

/** One copy, or a majority-quorum of three or five: what a JetStream cluster can keep. */
export const STREAM_REPLICAS = [1, 3, 5] as const;
export type StreamReplicas = (typeof STREAM_REPLICAS)[number];

/**
 * How a service proves who it is to an authenticating server; never logged. A credentials file
 * (a user JWT and its NKey seed, as `nsc` writes it) is read when the bus connects.
 */
export type NatsCredentials =
  | { readonly user: string; readonly password: string; readonly inboxPrefix?: string }
  | { readonly token: string; readonly inboxPrefix?: string }
  | { readonly credsFile: string; readonly inboxPrefix?: string };

/**
 * TLS towards the server: the CA that signed the server's certificate (otherwise the system's
 * roots) and, for a server that verifies clients, this client's certificate and key. Files, read
 * when the bus connects.
 */
export interface NatsTls {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
}

export interface ConnectBusOptions {
  /** One URL or a comma-separated list. */
  servers: string;
  namespace: string;
  /** The connection name the server shows in its monitoring, e.g. the service name. */
  name: string;
  logger?: BusLogger;
  /** Absent: an anonymous connection, which only a server without authorization accepts. */
  credentials?: NatsCredentials;
  /** Absent: TLS only when a URL says tls:// or the server asks for it, verified against the system's roots. */
  tls?: NatsTls;
  /** 1 when absent. */
  streamReplicas?: StreamReplicas;
  /**
   * How long one attempt to connect may take, the client's 20 s when absent. A command line
   * shortens it: a server that drops a client without the certificate it requires says nothing,
   * and the attempt only ends with this timeout.
   */
  connectTimeoutMs?: number;
}

const STREAM_NAME_IN_USE = 10058;
const DUPLICATE_WINDOW_MS = 2 * 60_000;
/** Claim checks only need to outlive one request; an hour covers any retry a caller makes. */
const CLAIM_CHECK_TTL_MS = 60 * 60_000;
/** The delivery log is an operator's record, not the system of record; the read model keeps what it projected. */
const WEBHOOK_LOG_MAX_AGE_MS = 30 * 24 * 60 * 60_000;

export const nanos = (ms: number): number => Math.round(ms * 1_000_000);

/** The repository owners bucket as ensureTopology creates it; the git-runner opens it with the same options. */
export const REPOSITORY_OWNERS_OPTIONS: Partial<KvOptions> = { history: 1, storage: StorageType.File, allow_direct: false };

export function consoleLogger(prefix: string): BusLogger {
  return {
    info: (line) => console.info(`[${prefix}] ${line}`),
    warn: (line) => console.warn(`[${prefix}] ${line}`),
    error: (line) => console.error(`[${prefix}] ${line}`),
  };
}

/**
 * Claim checks (large requests and replies) are transient, event overflow payloads are part of
 * the log forever. Keeping them in separate buckets lets the transient one expire as a whole,
 * which is the only expiry 2.9 offers (no per-object TTL).
 */
export function claimCheckBucket(names: Names): string {
  return `${names.payloadBucket}-claims`;
}

export async function connectBus(options: ConnectBusOptions): Promise<Bus> {
  const names = namesOf(options.namespace);
  const log = options.logger ?? consoleLogger(`bus ${options.name}`);
  const nc = await connect(connectionOptions(options));
  const jsm = await whileJetStreamElects(log, 'JetStream to answer', () => jetstreamManager(nc)).catch(async (error: unknown) => {
    await nc.close();
    throw error;
  });
  const bus: Bus = {
    nc,
    js: jetstream(nc),
    jsm,
    names,
    log,
    streamReplicas: options.streamReplicas ?? 1,
    close: async () => {
      if (!nc.isClosed()) await nc.drain();
    },
  };
  try {
    assertServerVersion(bus);
  } catch (error) {
    await nc.close();
    throw error;
  }
  return bus;
}

/** How long a starting service waits for a JetStream cluster that is electing a leader. */
const ELECTION_WAIT_MS = 60_000;

/**
 * A cluster that lost a node answers JetStream requests only once it has elected a new meta
 * or stream leader, a few seconds later: a service starting meanwhile waits and asks again
 * instead of exiting on the first timeout.
 */
export async function whileJetStreamElects<T>(log: BusLogger, what: string, work: () => Promise<T>, waitMs = ELECTION_WAIT_MS): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      // Only a timeout: a server without JetStream at all answers at once, and that is not going to change.
      if (!(error instanceof natsErrors.TimeoutError) || Date.now() > deadline) throw error;
      if (attempt === 1) log.warn(`waiting for ${what} (${error instanceof Error ? error.message : String(error)}): the cluster may be electing a leader or busy`);
      await new Promise((done) => setTimeout(done, Math.min(2_000, 250 * attempt)));
    }
  }
}

/** What the client is handed: servers, credentials and TLS; the secrets in it are never logged. */
function connectionOptions(options: ConnectBusOptions): NodeConnectionOptions {
  const { credentials, tls } = options;
  return {
    servers: options.servers.split(',').map((s) => s.trim()),
    name: options.name,
    maxReconnectAttempts: -1,
    ...(options.connectTimeoutMs ? { timeout: options.connectTimeoutMs } : {}),
    ...(credentials && 'token' in credentials ? { token: credentials.token } : {}),
    ...(credentials && 'user' in credentials ? { user: credentials.user, pass: credentials.password } : {}),
    ...(credentials && 'credsFile' in credentials ? { authenticator: credsAuthenticator(readFileSync(credentials.credsFile)) } : {}),
    // A server that restricts subscriptions to a user's own inbox needs the replies to land there.
    ...(credentials?.inboxPrefix ? { inboxPrefix: credentials.inboxPrefix } : {}),
    ...(tls ? { tls: { ...(tls.caFile ? { caFile: tls.caFile } : {}), ...(tls.certFile ? { certFile: tls.certFile } : {}), ...(tls.keyFile ? { keyFile: tls.keyFile } : {}) } } : {}),
  };
}

const NO_SUITABLE_PEERS = 10005;
const INSUFFICIENT_RESOURCES = 10023;
const REPLICAS_NOT_SUPPORTED = 10074;

/** The refusal an operator acts on, instead of the server's "no suitable peers for placement". */
export class StreamReplicasError extends Error {
  constructor(stream: string, wanted: number, servers: string, reason: string) {
    super(
      `GT_STREAM_REPLICAS=${wanted} asks for ${wanted} copies of stream ${stream}, but ${servers} (the server answered: ${reason}); ` +
        `run at least ${wanted} clustered nats-servers with JetStream, or lower GT_STREAM_REPLICAS`,
    );
    this.name = 'StreamReplicasError';
  }
}

function replicasRefused(bus: Bus, stream: string, wanted: number, error: unknown): unknown {
  if (!(error instanceof JetStreamApiError) || ![NO_SUITABLE_PEERS, INSUFFICIENT_RESOURCES, REPLICAS_NOT_SUPPORTED].includes(error.code) || wanted === 1) return error;
  const { cluster, connect_urls: urls } = bus.nc.info ?? {};
  const servers = !cluster ? 'the NATS server is not part of a cluster' : `NATS cluster "${cluster}" has ${urls?.length ?? 'too few'} servers`;
  return new StreamReplicasError(stream, wanted, servers, error.message);
}

/**
 * Replicas are raised to the setting, never lowered: a service still running with an older
 * setting during a rollout must not shrink what the operator raised. Lower them by hand.
 */
async function raiseReplicas(bus: Bus, stream: string): Promise<void> {
  const current = (await bus.jsm.streams.info(stream)).config;
  if (current.num_replicas < bus.streamReplicas) await updateStream(bus, stream, { ...current, num_replicas: bus.streamReplicas }, current.num_replicas);
}

/**
 * On an authenticating server only a stream's owner may change it; the others work with the
 * stream as it is until the owner (the convoy service, the git-runner for its buckets) brings it
 * up to date.
 */
async function updateStream(bus: Bus, stream: string, config: Partial<StreamConfig>, fromReplicas: number): Promise<void> {
  try {
    await bus.jsm.streams.update(stream, config);
  } catch (refused) {
    if (refused instanceof natsErrors.PermissionViolationError) {
      bus.log.warn(`stream ${stream} differs from this version's topology; left for its owner to update`);
      return;
    }
    throw replicasRefused(bus, stream, config.num_replicas ?? 1, refused);
  }
  const replicas = config.num_replicas ?? 1;
  if (replicas > fromReplicas) await untilReplicasCurrent(bus, stream, replicas);
}

/** How long a raised stream's new copies get to catch up before the service goes on regardless. */
const CATCH_UP_MS = 30_000;

/**
 * New copies of a raised stream first copy what the stream holds, and until they have the
 * stream may answer reads late: the service starts once they are current (or warns and starts).
 */
async function untilReplicasCurrent(bus: Bus, stream: string, replicas: number): Promise<void> {
  const deadline = Date.now() + CATCH_UP_MS;
  for (;;) {
    const info = await bus.jsm.streams.info(stream).catch(() => null);
    const followers = info?.cluster?.replicas ?? [];
    if (info?.cluster?.leader && followers.length === replicas - 1 && followers.every((r) => r.current)) {
      bus.log.info(`stream ${stream} now keeps ${replicas} copies`);
      return;
    }
    if (Date.now() > deadline) {
      bus.log.warn(`stream ${stream} was raised to ${replicas} copies; they are still catching up after ${CATCH_UP_MS / 1000} s`);
      return;
    }
    await new Promise((done) => setTimeout(done, 200));
  }
}

async function ensureStream(bus: Bus, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  const wanted = { ...config, num_replicas: bus.streamReplicas };
  try {
    await bus.jsm.streams.add(wanted);
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== STREAM_NAME_IN_USE) throw replicasRefused(bus, config.name, bus.streamReplicas, error);
    const current = (await bus.jsm.streams.info(config.name)).config;
    await updateStream(bus, config.name, { ...config, num_replicas: Math.max(current.num_replicas, bus.streamReplicas) }, current.num_replicas);
  }
}

/**
 * Creates a KV bucket with the bus's replicas, or opens it and raises an older bucket's replicas
 * (the client's own create leaves an existing bucket as it is). Concurrent calls from several
 * replicas are safe: an identical create is a no-op on the server, and one that outlasts the API's
 * timeout (a new replicated bucket's leader is still being elected) is asked again. The bucket's create and update
 * are compare-and-set on a replicated bucket too (see kv.swaps.ts).
 */
export async function ensureKv(bus: Bus, bucket: string, options: Partial<KvOptions>): Promise<KV> {
  const kv = await whileJetStreamElects(bus.log, `KV bucket ${bucket}`, async () => {
    const created = await new Kvm(bus.js).create(bucket, { ...options, replicas: bus.streamReplicas }).catch((error: unknown) => {
      throw replicasRefused(bus, `KV_${bucket}`, bus.streamReplicas, error);
    });
    await raiseReplicas(bus, `KV_${bucket}`);
    return created;
  });
  return withAtomicSwaps(bus, bucket, kv);
}

/** As ensureKv, for an object store (the stream `OBJ_<bucket>`). */
export async function ensureObjectStore(bus: Bus, bucket: string, options: Partial<ObjectStoreOptions>): Promise<ObjectStore> {
  return whileJetStreamElects(bus.log, `object store ${bucket}`, async () => {
    const store = await new Objm(bus.js).create(bucket, { ...options, replicas: bus.streamReplicas }).catch((error: unknown) => {
      throw replicasRefused(bus, `OBJ_${bucket}`, bus.streamReplicas, error);
    });
    await raiseReplicas(bus, `OBJ_${bucket}`);
    return store;
  });
}

/** Where the server announces that a consumer exhausted max_deliver on a message. */
export function maxDeliveriesAdvisory(stream: string, consumer: string): string {
  return `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${stream}.${consumer}`;
}

/**
 * Creates or updates everything the bus writes to. Safe to run from every service at start-up,
 * concurrently: an identical create is a no-op on the server, a changed one becomes an update.
 */

export async function ensureTopology(bus: Bus): Promise<void> {
  const { names } = bus;
  await ensureStream(bus, {
    name: names.eventStream,
    subjects: [names.allEvents],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    // The log is the system of record: no limit may ever drop an event, and if one is ever set
    // by hand the server must refuse new writes rather than discard old ones.
    max_msgs: -1,
    max_bytes: -1,
    max_age: 0,
    discard: DiscardPolicy.New,
    deny_delete: true,
    deny_purge: true,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    allow_direct: true,
  });
  await ensureStream(bus, {
    name: names.dlqStream,
    // The server's own give-up notices are captured too: a consumer that died on a message's last
    // delivery could not park it itself, and a plain subscriber would miss the advisory while down.
    subjects: [
      `${names.namespace}.dlq.>`,
      maxDeliveriesAdvisory(names.eventStream, '*'),
      maxDeliveriesAdvisory(names.jobStream, '*'),
      maxDeliveriesAdvisory(names.webhookLogStream, '*'),
    ],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    max_msgs: -1,
    max_bytes: -1,
    max_age: 0,
    discard: DiscardPolicy.New,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    allow_direct: true,
  });
  await ensureStream(bus, {
    name: names.jobStream,
    subjects: [`${names.namespace}.job.>`],
    storage: StorageType.File,
    // A job is gone once a runner acknowledges it; its message id (the job id) makes publishing twice harmless.
    retention: RetentionPolicy.Workqueue,
    max_msgs: -1,
    max_bytes: -1,
    max_age: 0,
    discard: DiscardPolicy.New,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
  });
  await ensureStream(bus, {
    name: names.webhookLogStream,
    subjects: [names.allWebhookLogs],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    max_msgs: -1,
    max_bytes: -1,
    max_age: nanos(WEBHOOK_LOG_MAX_AGE_MS),
    discard: DiscardPolicy.Old,
    // An attempt recorded twice (a retried publish) is stored once.
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
  });
  await ensureObjectStore(bus, names.payloadBucket, { storage: StorageType.File });
  await ensureObjectStore(bus, claimCheckBucket(names), { storage: StorageType.File, ttl: nanos(CLAIM_CHECK_TTL_MS) });
  // Who owns a local repository is decided once, by `create`, and never expires: no max age.
  await ensureKv(bus, names.repositoryOwnersBucket, REPOSITORY_OWNERS_OPTIONS);
  // A hold outlives the process that found it: a restart must not forget what it has not resolved.
  await ensureKv(bus, names.holdsBucket, { history: 1, storage: StorageType.File, allow_direct: false });
}

/** Removes every stream and bucket of the bus's namespace. For test suites and throwaway installs. */
export async function deleteTopology(bus: Bus): Promise<void> {
  const { names } = bus;
  const streams = [
    names.eventStream,
    names.dlqStream,
    `OBJ_${names.payloadBucket}`,
    `OBJ_${claimCheckBucket(names)}`,
    names.jobStream,
    names.webhookLogStream,
    `KV_${names.leaseBucket}`,
    `KV_${names.repositoryOwnersBucket}`,
    `KV_${names.holdsBucket}`,
  ];
  for (const stream of streams) {
    await bus.jsm.streams.delete(stream).catch((error: unknown) => {
      if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.StreamNotFound) throw error;
    });
  }
}
