import { z } from 'zod';
import { RigConfig, RigConfigV1 } from '../domain/rig.config';
import { RigCredentials } from '../domain/rig.credentials';
import { StoredSecret } from '../domain/secret.sealing';
import { WEBHOOK_SECRET, WebhookEventType } from '../webhooks/webhook.schemas';

export const TownCreatedV1 = z.object({
  name: z.string().min(1).max(100),
  /** sha256 of the bearer token, hex; the token itself is never stored. */
  tokenHash: z.string().regex(/^[0-9a-f]{64}$/),
});

export const RigRegisteredV1 = z.object({
  rigId: z.uuid(),
  name: z.string().min(1).max(100),
  gitUrl: z.string().min(1).max(2000),
  defaultBranch: z.string().min(1).max(200),
  config: RigConfigV1,
});
/** v2: the merge queue's settings; a v1 rig takes their defaults. */
export const RigRegisteredV2 = RigRegisteredV1.extend({ config: RigConfig });

/**
 * A rig's git credentials were given or replaced (registration, rotation): the secret is sealed
 * for this town's rig (see rig.credentials.ts); only the git-runner opens it, for that rig's git.
 */
export const RigCredentialsSetV1 = z.object({ rigId: z.uuid(), credentials: RigCredentials });

/** The rig's git credentials were removed: its remote is reached without any from now on. */
export const RigCredentialsClearedV1 = z.object({ rigId: z.uuid() });

/**
 * v1 stored the signing key in clear: anyone who could read the stream could sign as Gastown.
 * Kept so that those events still parse; the upcaster hands their key on as a legacy clear secret.
 */
export const WebhookAddedV1 = z.object({
  webhookId: z.uuid(),
  url: z.string().min(1).max(2000),
  events: z.array(WebhookEventType).min(1),
  secret: z.string().regex(WEBHOOK_SECRET),
});

/**
 * v2: the signing key sealed with the operator's key for this town's webhook only (see
 * secret.sealing.ts); only the gateway (to show it once) and the dispatcher (to sign) open it.
 */
export const WebhookAddedV2 = z.object({
  webhookId: z.uuid(),
  url: z.string().min(1).max(2000),
  events: z.array(WebhookEventType).min(1),
  secret: StoredSecret,
});

export const WebhookRemovedV1 = z.object({ webhookId: z.uuid() });

export const townEventSchemas = {
  TownCreated: { 1: TownCreatedV1 },
  RigRegistered: { 1: RigRegisteredV1, 2: RigRegisteredV2 },
  RigCredentialsSet: { 1: RigCredentialsSetV1 },
  RigCredentialsCleared: { 1: RigCredentialsClearedV1 },
  WebhookAdded: { 1: WebhookAddedV1, 2: WebhookAddedV2 },
  WebhookRemoved: { 1: WebhookRemovedV1 },
} as const;
