/**
 * Every subject, stream and bucket name derives from one namespace so that several
 * installations (or test suites) can share one NATS server without seeing each other.
 */
export interface Names {
  readonly namespace: string;
  readonly eventStream: string;
  readonly dlqStream: string;
  readonly payloadBucket: string;
  /** Work queue of git-runner jobs. */
  readonly jobStream: string;
  /** KV bucket of per-rig leases (fencing tokens). */
  readonly leaseBucket: string;
  /** KV bucket of attempt claims, key `agent.<bead>.<attempt>` (attemptClaimKey), value an AttemptClaim. */
  readonly claimsBucket: string;
  /** KV bucket of local repository owners: key from the repository's real git dir, value a RepositoryOwner. */
  readonly repositoryOwnersBucket: string;
  /**
   * KV bucket of the services' holds (held.<service>.<subject>), the operator's release requests
   * (release.<service>.<subject>) and the skips carried out (skipped.<service>.<subject>.<seq>).
   */
  readonly holdsBucket: string;
  /** Request/reply to the git-runners (queue group): may this town use this remote, and does it have the branch? */
  readonly rigProbe: string;
  /** All events of every town. */
  readonly allEvents: string;
  townEvents(townId: string): string;
  /** One subject per convoy: the unit of optimistic concurrency. */
  convoyEvents(townId: string, convoyId: string): string;
  /** Every convoy subject of one town, for consumers scoped to a town. */
  townConvoyEvents(townId: string): string;
  commands: { convoy: string; town: string };
  dlq(consumer: string): string;
  /** One subject per job kind and rig. */
  job(kind: 'branch' | 'agent' | 'merge' | 'land', rigId: string): string;
  /** Every job of one kind, for the consumer of that kind. */
  jobs(kind: 'branch' | 'agent' | 'merge' | 'land'): string;
  /** Core NATS broadcast: a convoy was closed, its agents must stop. */
  cancelBroadcast: string;
  /** Webhook deliveries waiting for the deliverer, on the job stream: one subject per town. */
  webhookJob(townId: string): string;
  webhookJobs: string;
  /** The delivery log: every attempt of every webhook delivery. */
  webhookLogStream: string;
  webhookLog(townId: string, webhookId: string): string;
  allWebhookLogs: string;
}

const NAMESPACE = /^[a-z][a-z0-9_]{0,30}$/;
const TOKEN = /^[A-Za-z0-9_-]+$/;

function token(kind: string, value: string): string {
  if (!TOKEN.test(value)) throw new Error(`${kind} "${value}" cannot be used in a subject`);
  return value;
}

export function names(namespace = 'gt'): Names {
  if (!NAMESPACE.test(namespace)) {
    throw new Error(`namespace "${namespace}" must match ${NAMESPACE.source}`);
  }
  const upper = namespace.toUpperCase();
  return {
    namespace,
    eventStream: `${upper}_EVENTS`,
    dlqStream: `${upper}_DLQ`,
    payloadBucket: `${namespace}-payloads`,
    allEvents: `${namespace}.evt.>`,
    townEvents: (townId) => `${namespace}.evt.${token('town id', townId)}.town`,
    convoyEvents: (townId, convoyId) =>
      `${namespace}.evt.${token('town id', townId)}.convoy.${token('convoy id', convoyId)}`,
    townConvoyEvents: (townId) => `${namespace}.evt.${token('town id', townId)}.convoy.*`,
    commands: { convoy: `${namespace}.cmd.convoy`, town: `${namespace}.cmd.town` },
    dlq: (consumer) => `${namespace}.dlq.${token('consumer', consumer)}`,
    jobStream: `${upper}_JOBS`,
    leaseBucket: `${namespace}-leases`,
    claimsBucket: `${namespace}-claims`,
    repositoryOwnersBucket: `${namespace}-repo-owners`,
    holdsBucket: `${namespace}-holds`,
    rigProbe: `${namespace}.rpc.rig.probe`,
    job: (kind, rigId) => `${namespace}.job.${kind}.${token('rig id', rigId)}`,
    jobs: (kind) => `${namespace}.job.${kind}.*`,
    cancelBroadcast: `${namespace}.ctl.cancel`,
    webhookJob: (townId) => `${namespace}.job.webhook.${token('town id', townId)}`,
    webhookJobs: `${namespace}.job.webhook.*`,
    webhookLogStream: `${upper}_WEBHOOKS`,
    webhookLog: (townId, webhookId) => `${namespace}.whk.${token('town id', townId)}.${token('webhook id', webhookId)}`,
    allWebhookLogs: `${namespace}.whk.>`,
  };
}

/** Splits an event subject back into its town and convoy, or null when it is not one of ours. */
export function parseEventSubject(
  namespace: string,
  subject: string,
): { townId: string; convoyId: string | null } | null {
  const parts = subject.split('.');
  if (parts[0] !== namespace || parts[1] !== 'evt') return null;
  if (parts.length === 4 && parts[3] === 'town') return { townId: parts[2], convoyId: null };
  if (parts.length === 5 && parts[3] === 'convoy') return { townId: parts[2], convoyId: parts[4] };
  return null;
}
