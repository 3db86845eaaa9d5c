import { z } from 'zod';
import { namespaceSetting, natsUrlSetting, parseEnv, wholeNumberSetting } from '@gastown/service-runtime';

const Env = z.object({
  NATS_URL: natsUrlSetting(),
  GT_NAMESPACE: namespaceSetting(),
  CONVOY_MAX_TASKS: wholeNumberSetting('CONVOY_MAX_TASKS', 10_000),
  CONVOY_MAX_ATTEMPTS: wholeNumberSetting('CONVOY_MAX_ATTEMPTS', 3),
  CONVOY_MAX_LANDING_ATTEMPTS: wholeNumberSetting('CONVOY_MAX_LANDING_ATTEMPTS', 3),
});

export interface ConvoyConfig {
  natsUrl: string;
  namespace: string;
  maxTasks: number;
  maxAttempts: number;
  maxLandingAttempts: number;
}

/** Validates the environment once at start; every bad value gets its own line. */
export function loadConvoyConfig(env: NodeJS.ProcessEnv = process.env): ConvoyConfig {
  const e = parseEnv('convoy service', Env, env);
  return {
    natsUrl: e.NATS_URL,
    namespace: e.GT_NAMESPACE,
    maxTasks: e.CONVOY_MAX_TASKS,
    maxAttempts: e.CONVOY_MAX_ATTEMPTS,
    maxLandingAttempts: e.CONVOY_MAX_LANDING_ATTEMPTS,
  };
}

