export {
  claimCheckBucket,
  connectBus,
  consoleLogger,
  deleteTopology,
  ensureKv,
  ensureObjectStore,
  ensureTopology,
  whileJetStreamElects,
  REPOSITORY_OWNERS_OPTIONS,
  STREAM_REPLICAS,
  StreamReplicasError,
  type Bus,
  type BusLogger,
  type ConnectBusOptions,
  type NatsCredentials,
  type NatsTls,
  type StreamReplicas,
} from './bus.connection';
export {
  inboxPrefixOf,
  natsAuthorizationConfig,
  natsCredentialsOf,
  natsUserOf,
  NATS_SERVICES,
  permissionMatrix,
  type NatsService,
  type NatsUser,
  type SubjectPermissions,
} from './nats.permissions';
export {
  AppendRefusedError,
  NoResponderError,
  PayloadIntegrityError,
  PoisonMessageError,
  RequestTimeoutError,
  UnsupportedServerError,
  WrongExpectedSequenceError,
} from './bus.errors';
export {
  createEventStore,
  EventStore,
  type AppendRequest,
  type AppendResult,
  type EventParser,
  type EventStoreOptions,
  type StoredCommit,
} from './event.store';
export {
  CommandClient,
  serveCommands,
  type CommandBusOptions,
  type CommandHandler,
  type CommandServer,
  type ServeOptions,
} from './command.bus';
export {
  DeadLetter,
  readDeadLetters,
  runConsumer,
  runMessageConsumer,
  type CommitHandler,
  type ConsumerContext,
  type ConsumerOptions,
  type MessageConsumerOptions,
  type MessageHandler,
  type RunningConsumer,
} from './consumer.runner';
export {
  assertServerVersion,
  isVersionAtLeast,
  JETSTREAM_GAPS,
  MINIMUM_SERVER_VERSION,
  type CapabilityGap,
} from './jetstream.capabilities';
export { followStream, StreamFollower, type FollowOptions } from './stream.follower';
export { DEFAULT_PAYLOAD_READ_TIMEOUT_MS, PayloadReadTimeoutError, type PayloadRef } from './payload.store';
export { readRawSubject, type RawStoredMessage } from './subject.reader';
export {
  HoldRecord,
  holdKey,
  HoldsRegistry,
  REGISTRY_HOLDERS,
  RegistryHolder,
  ReleaseRequest,
  releaseKey,
  SkipRecord,
  skipKey,
  type ReleaseOutcome,
} from './holds.registry';
export { publishWork } from './job.publisher';
export {
  activeTraceIds,
  carrierOfHeaders,
  contextOfCarrier,
  contextOfHeaders,
  failSpan,
  inSpan,
  SpanKind,
  traceHeaders,
  type SpanOptions,
  type TraceCarrier,
} from './telemetry/trace.context';
export { currentLogFields, withLogFields, type LogFields } from './telemetry/log.fields';
export {
  counter,
  gaugeSource,
  histogram,
  METRIC_LABELS,
  METRICS,
  secondsSince,
  type MetricDefinition,
  type MetricLabel,
  type MetricName,
} from './telemetry/metrics';
export {
  cachedStatus,
  durableStatus,
  exportConsumerLag,
  STATUS_TIMEOUT_MS,
  withTimeout,
  type ConsumerStatus,
} from './telemetry/consumer.status';
