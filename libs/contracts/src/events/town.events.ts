import { z } from 'zod';
import { RigConfig } from '../domain/rig.config';
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
  config: RigConfig,
});

/**
 * The secret is stored here because the deliverer signs with it. Readers other than the
 * deliverer drop it: it is never projected, logged or shown in a history.
 */
export const WebhookAddedV1 = z.object({
  webhookId: z.uuid(),
  url: z.string().min(1).max(2000),
  events: z.array(WebhookEventType).min(1),
  secret: z.string().regex(WEBHOOK_SECRET),
});

export const WebhookRemovedV1 = z.object({ webhookId: z.uuid() });

export const townEventSchemas = {
  TownCreated: { 1: TownCreatedV1 },
  RigRegistered: { 1: RigRegisteredV1 },
  WebhookAdded: { 1: WebhookAddedV1 },
  WebhookRemoved: { 1: WebhookRemovedV1 },
} as const;
