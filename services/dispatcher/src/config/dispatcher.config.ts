import { hostname } from 'node:os';
import { z } from 'zod';
import { DEFAULT_PAYLOAD_READ_TIMEOUT_MS } from '@gastown/bus';
import type { NatsCredentials, NatsTls, StreamReplicas } from '@gastown/bus';
import { egressAllowSetting, type EgressAllowList, type SecretKeyring } from '@gastown/contracts';
import {
  namespaceSetting,
  natsConnectionFromEnv,
  natsSettings,
  natsUrlSetting,
  parseEnv,
  refineNats,
  refineSecretsKey,
  secretKeyringFromEnv,
  secretsKeySettings,
  wholeNumberSetting,
} from '@gastown/service-runtime';
import { DEFAULT_READ_ATTEMPTS } from '../dispatch/dispatch.runner';
import { DEFAULT_RECONCILE_LIMITS } from '../reconcile/reconcile.planner';

const DAY_MS = 24 * 60 * 60_000;

const Env = z
  .object({
    NATS_URL: natsUrlSetting(),
    ...natsSettings(),
    ...secretsKeySettings(),
    GT_NAMESPACE: namespaceSetting(),
    DISPATCHER_MAX_AGENTS_PER_TOWN: wholeNumberSetting('DISPATCHER_MAX_AGENTS_PER_TOWN', 16),
    // 0: not known. The sum of every runner's GIT_RUNNER_MAX_AGENTS; with it, free slots go to the town with the fewest agents at work.
    DISPATCHER_AGENT_SLOTS: wholeNumberSetting('DISPATCHER_AGENT_SLOTS', 0, { min: 0, max: 100_000 }),
    // A back-off is waited for with a timer; a day bounds it well inside what a timer can hold.
    DISPATCHER_RETRY_BASE_MS: wholeNumberSetting('DISPATCHER_RETRY_BASE_MS', 2_000, { max: DAY_MS, unit: ' ms' }),
    DISPATCHER_RETRY_MAX_MS: wholeNumberSetting('DISPATCHER_RETRY_MAX_MS', 60_000, { max: DAY_MS, unit: ' ms' }),
    DISPATCHER_WEBHOOK_MAX_ATTEMPTS: wholeNumberSetting('DISPATCHER_WEBHOOK_MAX_ATTEMPTS', 8, { max: 50 }),
    DISPATCHER_WEBHOOK_RETRY_BASE_MS: wholeNumberSetting('DISPATCHER_WEBHOOK_RETRY_BASE_MS', 5_000, { max: DAY_MS, unit: ' ms' }),
    DISPATCHER_WEBHOOK_RETRY_MAX_MS: wholeNumberSetting('DISPATCHER_WEBHOOK_RETRY_MAX_MS', 600_000, { max: DAY_MS, unit: ' ms' }),
    DISPATCHER_WEBHOOK_TIMEOUT_MS: wholeNumberSetting('DISPATCHER_WEBHOOK_TIMEOUT_MS', 10_000, { min: 100, max: 120_000, unit: ' ms' }),
    DISPATCHER_WEBHOOK_CONCURRENCY: wholeNumberSetting('DISPATCHER_WEBHOOK_CONCURRENCY', 8, { max: 256 }),
    GASTOWN_EGRESS_ALLOW: egressAllowSetting(),
    // The largest plan the convoy service admits reads in a few seconds; see DEFAULT_PAYLOAD_READ_TIMEOUT_MS.
    DISPATCHER_PAYLOAD_READ_TIMEOUT_MS: wholeNumberSetting('DISPATCHER_PAYLOAD_READ_TIMEOUT_MS', DEFAULT_PAYLOAD_READ_TIMEOUT_MS, {
      min: 100,
      max: 600_000,
      unit: ' ms',
    }),
    DISPATCHER_READ_ATTEMPTS: wholeNumberSetting('DISPATCHER_READ_ATTEMPTS', DEFAULT_READ_ATTEMPTS, { max: 20 }),
    // Below a few seconds a runner's worktree set-up alone would count as a lost job; see reconcile.planner.ts.
    DISPATCHER_START_DEADLINE_MS: wholeNumberSetting('DISPATCHER_START_DEADLINE_MS', DEFAULT_RECONCILE_LIMITS.startDeadlineMs, {
      min: 500,
      max: DAY_MS,
      unit: ' ms',
    }),
    DISPATCHER_MAX_REPUBLISHES: wholeNumberSetting('DISPATCHER_MAX_REPUBLISHES', DEFAULT_RECONCILE_LIMITS.maxRepublishes, { min: 0, max: 20 }),
    DISPATCHER_ID: z
      .string()
      .optional()
      .transform((v) => v || `${hostname()}-${process.pid}`)
      .refine((v) => /^[A-Za-z0-9_.-]{1,100}$/.test(v), {
        message: 'DISPATCHER_ID must be 1 to 100 letters, digits, ".", "_" or "-"',
      }),
  })
  .superRefine((e, ctx) => {
    refineNats(e, ctx);
    refineSecretsKey(e, ctx);
    const { DISPATCHER_RETRY_BASE_MS: base, DISPATCHER_RETRY_MAX_MS: max } = e;
    if (max < base) {
      ctx.addIssue({ code: 'custom', message: `DISPATCHER_RETRY_MAX_MS (${max}) must not be below DISPATCHER_RETRY_BASE_MS (${base})` });
    }
    const { DISPATCHER_WEBHOOK_RETRY_BASE_MS: webhookBase, DISPATCHER_WEBHOOK_RETRY_MAX_MS: webhookMax } = e;
    if (webhookMax < webhookBase) {
      ctx.addIssue({
        code: 'custom',
        message: `DISPATCHER_WEBHOOK_RETRY_MAX_MS (${webhookMax}) must not be below DISPATCHER_WEBHOOK_RETRY_BASE_MS (${webhookBase})`,
      });
    }
  });

export interface DispatcherConfig {
  natsUrl: string;
  /** Absent for a NATS server without authorization. */
  natsCredentials?: NatsCredentials;
  /** NATS_TLS_*: absent, TLS only as the URL or the server asks, against the system's roots. */
  natsTls?: NatsTls;
  /** GT_STREAM_REPLICAS: copies of every stream and bucket this service creates. */
  streamReplicas?: StreamReplicas;
  namespace: string;
  /** Names this replica in the server's connection list and in its own log lines. */
  dispatcherId: string;
  maxAgentsPerTown: number;
  /** The agent slots of all git-runners together; 0 when not known (no cap, no fair order of the runners' queue). */
  agentSlots: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Deadline of one read of a commit kept in the object store. */
  payloadReadTimeoutMs: number;
  /** Reads of one commit before it is parked and its convoy held, so the others go on. */
  readAttempts: number;
  /** How long dispatched work may take to start (agent) or end (merge, landing) before its job is looked for and re-published. */
  startDeadlineMs: number;
  /** Re-publishes of a vanished agent job before its attempt is reported LOST. */
  maxRepublishes: number;
  webhooks: WebhookSettings;
}

export interface WebhookSettings {
  /** POSTs per delivery, the first included, before it is FAILED. */
  maxAttempts: number;
  /** Pause after the first failed attempt; it doubles after each further one, up to retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** How long one POST may take, answer included. */
  timeoutMs: number;
  /** POSTs this replica runs at once. */
  concurrency: number;
  /** Inside addresses (loopback, private…) receivers may have; absent, none: a town's URL may not reach the inside. */
  egressAllow?: EgressAllowList;
  /** Opens each webhook's sealed signing key at the moment of signing (GASTOWN_SECRETS_KEY). */
  secrets: SecretKeyring;
}

/** Validates the environment once at start; every bad value gets its own line. */
export function loadDispatcherConfig(env: NodeJS.ProcessEnv = process.env): DispatcherConfig {
  const e = parseEnv('dispatcher', Env, env);
  const nats = natsConnectionFromEnv(e, 'dispatcher');
  return {
    natsUrl: e.NATS_URL,
    natsCredentials: nats.credentials,
    ...(nats.tls ? { natsTls: nats.tls } : {}),
    streamReplicas: nats.streamReplicas,
    namespace: e.GT_NAMESPACE,
    dispatcherId: e.DISPATCHER_ID,
    maxAgentsPerTown: e.DISPATCHER_MAX_AGENTS_PER_TOWN,
    agentSlots: e.DISPATCHER_AGENT_SLOTS,
    retryBaseMs: e.DISPATCHER_RETRY_BASE_MS,
    retryMaxMs: e.DISPATCHER_RETRY_MAX_MS,
    payloadReadTimeoutMs: e.DISPATCHER_PAYLOAD_READ_TIMEOUT_MS,
    readAttempts: e.DISPATCHER_READ_ATTEMPTS,
    startDeadlineMs: e.DISPATCHER_START_DEADLINE_MS,
    maxRepublishes: e.DISPATCHER_MAX_REPUBLISHES,
    webhooks: {
      maxAttempts: e.DISPATCHER_WEBHOOK_MAX_ATTEMPTS,
      retryBaseMs: e.DISPATCHER_WEBHOOK_RETRY_BASE_MS,
      retryMaxMs: e.DISPATCHER_WEBHOOK_RETRY_MAX_MS,
      timeoutMs: e.DISPATCHER_WEBHOOK_TIMEOUT_MS,
      concurrency: e.DISPATCHER_WEBHOOK_CONCURRENCY,
      ...(e.GASTOWN_EGRESS_ALLOW.length > 0 ? { egressAllow: e.GASTOWN_EGRESS_ALLOW } : {}),
      secrets: secretKeyringFromEnv(e),
    },
  };
}

