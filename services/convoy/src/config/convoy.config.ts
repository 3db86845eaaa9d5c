import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { readAgentPolicy, type AgentPolicy, type TownLimits } from '@gastown/contracts';
import { DEFAULT_LIMITS } from '../convoy/convoy.decider';
import type { NatsCredentials, NatsTls, StreamReplicas } from '@gastown/bus';
import {
  ConfigError,
  namespaceSetting,
  natsConnectionFromEnv,
  natsSettings,
  natsUrlSetting,
  parseEnv,
  refineNats,
  townLimitSettings,
  wholeNumberSetting,
} from '@gastown/service-runtime';

const Env = z
  .object({
    NATS_URL: natsUrlSetting(),
    GT_NAMESPACE: namespaceSetting(),
    ...natsSettings(),
    ...townLimitSettings(),
    CONVOY_MAX_ATTEMPTS: wholeNumberSetting('CONVOY_MAX_ATTEMPTS', 3),
    CONVOY_MAX_LANDING_ATTEMPTS: wholeNumberSetting('CONVOY_MAX_LANDING_ATTEMPTS', 3),
    // Followers read a decision whole; see DEFAULT_LIMITS for how the default was measured.
    CONVOY_MAX_PLAN_BYTES: wholeNumberSetting('CONVOY_MAX_PLAN_BYTES', DEFAULT_LIMITS.maxPlanBytes, {
      min: 64 * 1024,
      max: 256 * 1024 * 1024,
      unit: ' bytes',
    }),
  })
  .superRefine(refineNats);

export interface ConvoyConfig {
  natsUrl: string;
  /** NATS_USER/NATS_PASSWORD, NATS_TOKEN or NATS_CREDS_FILE; absent for a server without authorization. */
  natsCredentials?: NatsCredentials;
  /** NATS_TLS_*: absent, TLS only as the URL or the server asks, against the system's roots. */
  natsTls?: NatsTls;
  /** GT_STREAM_REPLICAS: copies of every stream and bucket this service creates or brings up to date. */
  streamReplicas?: StreamReplicas;
  namespace: string;
  maxTasks: number;
  maxAttempts: number;
  /** The dependency edges of one convoy, and a town's rigs and webhooks; DEFAULT_TOWN_LIMITS when absent. */
  limits?: Pick<TownLimits, 'maxEdges' | 'maxRigsPerTown' | 'maxWebhooksPerTown'>;
  maxLandingAttempts: number;
  /**
   * The operator's agent profiles and what a town may ask of an agent; absent in hand-made test
   * configurations, where the multi-tenant default (the demo agent only) applies.
   */
  agents?: AgentPolicy;
  /** Absent in hand-made test configurations: the decider's default then applies. */
  maxPlanBytes?: number;
}

/** Validates the environment once at start; every bad value gets its own line. */
export function loadConvoyConfig(env: NodeJS.ProcessEnv = process.env): ConvoyConfig {
  const e = parseEnv('convoy service', Env, env);
  const nats = natsConnectionFromEnv(e, 'convoy');
  const agents = readAgentPolicy(env, (path) => readFileSync(path, 'utf8'));
  if (!agents.ok) throw new ConfigError('convoy service', agents.problems);
  return {
    natsUrl: e.NATS_URL,
    ...(nats.credentials ? { natsCredentials: nats.credentials } : {}),
    ...(nats.tls ? { natsTls: nats.tls } : {}),
    streamReplicas: nats.streamReplicas,
    namespace: e.GT_NAMESPACE,
    maxTasks: e.CONVOY_MAX_TASKS,
    maxAttempts: e.CONVOY_MAX_ATTEMPTS,
    maxLandingAttempts: e.CONVOY_MAX_LANDING_ATTEMPTS,
    limits: { maxEdges: e.CONVOY_MAX_EDGES, maxRigsPerTown: e.GASTOWN_MAX_RIGS_PER_TOWN, maxWebhooksPerTown: e.GASTOWN_MAX_WEBHOOKS_PER_TOWN },
    agents: agents.policy,
    maxPlanBytes: e.CONVOY_MAX_PLAN_BYTES,
  };
}

