import { names as namesOf, type Names } from '@gastown/contracts';
import { claimCheckBucket, type NatsCredentials } from './bus.connection';
import type { RegistryHolder } from './holds.registry';

/** The NATS users of one installation: one per service, and the operator's own (the `gt` CLI, maintenance tools). */
export const NATS_SERVICES = ['convoy', 'dispatcher', 'git-runner', 'gateway', 'operator'] as const;
export type NatsService = (typeof NATS_SERVICES)[number];

export interface SubjectPermissions {
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
  /** May answer requests (only to the reply subject of a request it received). */
  readonly allowResponses: boolean;
}

export interface NatsUser {
  readonly user: string;
  readonly password: string;
}

/**
 * Each user's replies arrive on an inbox prefix of its own: with one shared `_INBOX.>`, any
 * service could subscribe to every other's replies, and with them every message a JetStream
 * consumer delivers to someone else.
 */
export function inboxPrefixOf(service: NatsService, namespace = 'gt'): string {
  return `_INBOX_${namespace}_${service.replace(/-/g, '_')}`;
}

/** The user name of a service on the server; the namespace keeps installations that share a server apart. */
export function natsUserOf(service: NatsService, namespace = 'gt'): string {
  return `${namespace}-${service}`;
}

/** What a service passes to connectBus on a server configured by natsAuthorizationConfig. */
export function natsCredentialsOf(service: NatsService, user: NatsUser, namespace = 'gt'): NatsCredentials {
  return { user: user.user, password: user.password, inboxPrefix: inboxPrefixOf(service, namespace) };
}

const kvStream = (bucket: string) => `KV_${bucket}`;
const objStream = (bucket: string) => `OBJ_${bucket}`;

/** Reading a stream: stream info, single message gets, and consumers of its own (durable or ordered). */
function readStream(stream: string): string[] {
  return [
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.API.STREAM.MSG.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}.>`,
    `$JS.API.CONSUMER.CREATE.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.*`,
    `$JS.API.CONSUMER.INFO.${stream}.*`,
    `$JS.API.CONSUMER.DELETE.${stream}.*`,
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.*`,
    `$JS.ACK.${stream}.>`,
  ];
}

/**
 * Creating a stream exactly as the topology says is a no-op when it exists, so every service may
 * do it at start; changing an existing stream's limits could drop history, so only the owner may.
 */
function createStream(stream: string): string[] {
  return [`$JS.API.STREAM.CREATE.${stream}`];
}

function updateStream(stream: string): string[] {
  return [`$JS.API.STREAM.UPDATE.${stream}`];
}

function readObjects(bucket: string): string[] {
  return readStream(objStream(bucket));
}

/** Putting an object also purges the chunks of the one it replaces. */
function writeObjects(bucket: string): string[] {
  return [`$O.${bucket}.>`, `$JS.API.STREAM.PURGE.${objStream(bucket)}`];
}

function readKv(bucket: string): string[] {
  return readStream(kvStream(bucket));
}

function writeKv(bucket: string): string[] {
  return [`$KV.${bucket}.>`];
}

/** The streams and buckets of the topology that `ensureTopology` creates, by stream name. */
function topologyStreams(n: Names): string[] {
  return [
    n.eventStream,
    n.dlqStream,
    n.jobStream,
    n.webhookLogStream,
    objStream(n.payloadBucket),
    objStream(claimCheckBucket(n)),
    kvStream(n.repositoryOwnersBucket),
    kvStream(n.holdsBucket),
  ];
}

/**
 * The keys of the holds registry one service writes: its own holds and skips, and the clearing of
 * the release requests it acted on. Nobody else may say that this service holds something.
 */
function writeOwnHolds(n: Names, service: RegistryHolder): string[] {
  return ['held', 'skipped', 'release'].map((kind) => `$KV.${n.holdsBucket}.${kind}.${service}.>`);
}

/** The operator's side of the registry: asking any holder to retry or skip. */
function requestReleases(n: Names): string[] {
  return [`$KV.${n.holdsBucket}.release.>`];
}

/** What every service does: account info, the topology check at start, claim checks, its own inbox. */
function common(n: Names, service: NatsService): { publish: string[]; subscribe: string[] } {
  return {
    publish: [
      '$JS.API.INFO',
      '$JS.API.STREAM.NAMES',
      ...topologyStreams(n).flatMap((s) => [`$JS.API.STREAM.INFO.${s}`, ...createStream(s)]),
      // Large commands and replies travel as claim checks, in both directions.
      ...readObjects(claimCheckBucket(n)),
      ...writeObjects(claimCheckBucket(n)),
      ...readObjects(n.payloadBucket),
    ],
    subscribe: [`${inboxPrefixOf(service, n.namespace)}.>`],
  };
}

function unique(subjects: string[]): string[] {
  return [...new Set(subjects)];
}

/**
 * Who may do what on the bus. The convoy service alone appends events; the dispatcher alone
 * publishes jobs, webhook deliveries and cancellations; the git-runner consumes jobs, sends
 * convoy commands and holds leases and attempt claims; the gateway reads and sends commands.
 * Every name comes from the contracts' subject builders, so the matrix cannot drift from them.
 */
export function permissionMatrix(namespace = 'gt'): Record<NatsService, SubjectPermissions> {
  const n = namesOf(namespace);
  const events = readStream(n.eventStream);
  const dlq = `${n.namespace}.dlq.>`;
  const build = (service: NatsService, extra: { publish: string[]; subscribe: string[]; allowResponses?: boolean }): SubjectPermissions => {
    const base = common(n, service);
    return {
      publish: unique([...base.publish, ...extra.publish]),
      subscribe: unique([...base.subscribe, ...extra.subscribe]),
      allowResponses: extra.allowResponses ?? false,
    };
  };
  return {
    convoy: build('convoy', {
      publish: [
        n.allEvents,
        ...events,
        ...topologyStreams(n).flatMap(updateStream),
        ...writeObjects(n.payloadBucket),
        ...readKv(n.repositoryOwnersBucket),
        ...writeKv(n.repositoryOwnersBucket),
        dlq,
      ],
      // Commands are served by a queue group; the reply goes back through allow_responses.
      subscribe: [`${n.namespace}.cmd.>`],
      allowResponses: true,
    }),
    dispatcher: build('dispatcher', {
      publish: [
        ...events,
        n.commands.convoy,
        `${n.namespace}.job.>`,
        ...readStream(n.jobStream),
        n.cancelBroadcast,
        n.allWebhookLogs,
        dlq,
        ...readStream(n.dlqStream),
        ...readKv(n.holdsBucket),
        ...writeOwnHolds(n, 'dispatcher'),
      ],
      subscribe: [],
    }),
    'git-runner': build('git-runner', {
      publish: [
        ...events,
        n.commands.convoy,
        ...readStream(n.jobStream),
        // The runner owns both buckets: it creates them and may bring their limits up to date.
        ...[n.leaseBucket, n.claimsBucket].flatMap((b) => [...createStream(kvStream(b)), ...updateStream(kvStream(b))]),
        ...readKv(n.leaseBucket),
        ...writeKv(n.leaseBucket),
        ...readKv(n.claimsBucket),
        ...writeKv(n.claimsBucket),
        ...readKv(n.repositoryOwnersBucket),
        ...writeKv(n.repositoryOwnersBucket),
        dlq,
      ],
      // registerRig's check of a remote is served by a queue group of runners; the answer goes back through allow_responses.
      subscribe: [n.cancelBroadcast, n.rigProbe],
      allowResponses: true,
    }),
    gateway: build('gateway', {
      publish: [
        ...events,
        n.commands.convoy,
        n.commands.town,
        n.rigProbe,
        ...readStream(n.webhookLogStream),
        ...readKv(n.claimsBucket),
        dlq,
        ...readStream(n.dlqStream),
        // The API shows every hold; `npm run holds`, run with the gateway's user, asks for releases.
        ...readKv(n.holdsBucket),
        ...requestReleases(n),
      ],
      subscribe: [],
    }),
    // The operator's tools (town creation, read-model rebuilds, tests' cleanup) may do anything in the namespace.
    operator: build('operator', {
      publish: [
        `${n.namespace}.>`,
        '$JS.API.>',
        '$JS.ACK.>',
        ...writeKv(n.leaseBucket),
        ...writeKv(n.claimsBucket),
        ...writeKv(n.repositoryOwnersBucket),
        ...writeKv(n.holdsBucket),
        ...writeObjects(n.payloadBucket),
        ...writeObjects(claimCheckBucket(n)),
      ],
      subscribe: [`${n.namespace}.>`],
    }),
  };
}

function quoted(values: readonly string[]): string {
  return `[${values.map((v) => JSON.stringify(v)).join(', ')}]`;
}

/**
 * The `authorization` block of a nats-server configuration: one user per service with the
 * permissions above. Anonymous clients are refused by the server once any user is configured.
 */
export function natsAuthorizationConfig(users: Readonly<Record<NatsService, NatsUser>>, namespace = 'gt'): string {
  const matrix = permissionMatrix(namespace);
  const entries = NATS_SERVICES.map((service) => {
    const p = matrix[service];
    const { user, password } = users[service];
    return [
      '    {',
      `      user: ${JSON.stringify(user)}`,
      `      password: ${JSON.stringify(password)}`,
      '      permissions: {',
      `        publish: { allow: ${quoted(p.publish)} }`,
      `        subscribe: { allow: ${quoted(p.subscribe)} }`,
      ...(p.allowResponses ? ['        allow_responses: true'] : []),
      '      }',
      '    }',
    ].join('\n');
  });
  return ['authorization {', '  users: [', entries.join('\n'), '  ]', '}', ''].join('\n');
}
