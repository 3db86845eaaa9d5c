import { connect, errors as natsErrors, type NatsConnection } from '@nats-io/transport-node';
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
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import { names as namesOf, type Names } from '@gastown/contracts';
import { assertServerVersion } from './jetstream.capabilities';

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
  close(): Promise<void>;
}

/** How a service proves who it is to an authenticating server; never logged. */
export type NatsCredentials =
  | { readonly user: string; readonly password: string; readonly inboxPrefix?: string }
  | { readonly token: string; readonly inboxPrefix?: string };

export interface ConnectBusOptions {
  /** One URL or a comma-separated list. */
  servers: string;
  namespace: string;
  /** The connection name the server shows in its monitoring, e.g. the service name. */
  name: string;
  logger?: BusLogger;
  /** Absent: an anonymous connection, which only a server without authorization accepts. */
  credentials?: NatsCredentials;
}

const STREAM_NAME_IN_USE = 10058;
const DUPLICATE_WINDOW_MS = 2 * 60_000;
/** Claim checks only need to outlive one request; an hour covers any retry a caller makes. */
const CLAIM_CHECK_TTL_MS = 60 * 60_000;
/** The delivery log is an operator's record, not the system of record; the read model keeps what it projected. */
const WEBHOOK_LOG_MAX_AGE_MS = 30 * 24 * 60 * 60_000;

export const nanos = (ms: number): number => Math.round(ms * 1_000_000);

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
  const credentials = options.credentials;
  const nc = await connect({
    servers: options.servers.split(',').map((s) => s.trim()),
    name: options.name,
    maxReconnectAttempts: -1,
    ...(credentials && 'token' in credentials ? { token: credentials.token } : {}),
    ...(credentials && 'user' in credentials ? { user: credentials.user, pass: credentials.password } : {}),
    // A server that restricts subscriptions to a user's own inbox needs the replies to land there.
    ...(credentials?.inboxPrefix ? { inboxPrefix: credentials.inboxPrefix } : {}),
  });
  const bus: Bus = {
    nc,
    js: jetstream(nc),
    jsm: await jetstreamManager(nc),
    names,
    log,
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

async function ensureStream(bus: Bus, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await bus.jsm.streams.add(config);
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== STREAM_NAME_IN_USE) throw error;
    try {
      await bus.jsm.streams.update(config.name, config);
    } catch (refused) {
      // On an authenticating server only the stream's owner may change its limits; the others
      // work with the stream as it is until the owner (the convoy service) brings it up to date.
      if (!(refused instanceof natsErrors.PermissionViolationError)) throw refused;
      bus.log.warn(`stream ${config.name} differs from this version's topology; left for its owner to update`);
    }
  }
}

/**
 * Creates or updates everything the bus writes to. Safe to run from every service at start-up,
 * concurrently: an identical create is a no-op on the server, a changed one becomes an update.
 */
/** Where the server announces that a consumer exhausted max_deliver on a message. */
export function maxDeliveriesAdvisory(stream: string, consumer: string): string {
  return `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${stream}.${consumer}`;
}

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
  const objm = new Objm(bus.js);
  await objm.create(names.payloadBucket, { storage: StorageType.File });
  await objm.create(claimCheckBucket(names), { storage: StorageType.File, ttl: nanos(CLAIM_CHECK_TTL_MS) });
  // Who owns a local repository is decided once, by `create`, and never expires: no max age.
  await new Kvm(bus.js).create(names.repositoryOwnersBucket, { history: 1, storage: StorageType.File, allow_direct: false });
  // A hold outlives the process that found it: a restart must not forget what it has not resolved.
  await new Kvm(bus.js).create(names.holdsBucket, { history: 1, storage: StorageType.File, allow_direct: false });
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
