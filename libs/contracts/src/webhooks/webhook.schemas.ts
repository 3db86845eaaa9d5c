import { z } from 'zod';
import { ConvoyStatus, MergeMode } from '../domain/convoy.types';

/** The convoy outcomes a town can be notified of. */
export const WebhookEventType = z.enum(['CONVOY_LANDED', 'CONVOY_FAILED', 'CONVOY_CANCELLED']);
export type WebhookEventType = z.infer<typeof WebhookEventType>;
export const WEBHOOK_EVENT_TYPES: readonly WebhookEventType[] = WebhookEventType.options;

/** The event name a receiver sees in the payload and in X-Gastown-Event. */
export const WebhookEventName = z.enum(['convoy.landed', 'convoy.failed', 'convoy.cancelled']);
export type WebhookEventName = z.infer<typeof WebhookEventName>;
export const WEBHOOK_EVENT_NAMES: Readonly<Record<WebhookEventType, WebhookEventName>> = {
  CONVOY_LANDED: 'convoy.landed',
  CONVOY_FAILED: 'convoy.failed',
  CONVOY_CANCELLED: 'convoy.cancelled',
};

/** A webhook's HMAC key: 32 random bytes, base64url without padding. */
export const WEBHOOK_SECRET = /^[A-Za-z0-9_-]{43}$/;

/** The body POSTed to a receiver; every retry of a delivery sends the same one. */
export const WebhookPayload = z.object({
  /** The delivery id, also in X-Gastown-Delivery: receivers de-duplicate on it. */
  id: z.uuid(),
  event: WebhookEventName,
  townId: z.uuid(),
  convoy: z.object({
    id: z.uuid(),
    title: z.string(),
    status: ConvoyStatus,
    mergeMode: MergeMode,
    landings: z.array(z.object({ rigId: z.uuid(), commit: z.string() })),
    failureReason: z.string().nullable(),
    cancelReason: z.string().nullable(),
  }),
  /** Stream sequence of the decision that ended the convoy. */
  sequence: z.number().int().positive(),
  occurredAt: z.iso.datetime(),
});
export type WebhookPayload = z.infer<typeof WebhookPayload>;

/** Which delivery: one webhook told of one convoy outcome, the same on every attempt. */
const DeliveryRef = z.object({
  deliveryId: z.uuid(),
  townId: z.uuid(),
  webhookId: z.uuid(),
  convoyId: z.uuid(),
  event: WebhookEventType,
  enqueuedAt: z.iso.datetime(),
});

/**
 * One delivery to one webhook, queued by the dispatcher's notifier for its deliverer. The job
 * carries no secret and no URL: the deliverer reads them from the town's events at each attempt,
 * so a webhook removed meanwhile gets nothing more.
 */
export const WebhookDeliveryJob = DeliveryRef.extend({
  payload: WebhookPayload,
});
export type WebhookDeliveryJob = z.infer<typeof WebhookDeliveryJob>;

/** RETRYING: failed, another attempt follows. FAILED: the last attempt failed, or the webhook is gone. */
export const WebhookAttemptOutcome = z.enum(['DELIVERED', 'RETRYING', 'FAILED']);
export type WebhookAttemptOutcome = z.infer<typeof WebhookAttemptOutcome>;

/** One attempt of a delivery, appended to the delivery log; the gateway projects the log for the API. */
export const WebhookAttemptRecord = DeliveryRef.extend({
  attempt: z.number().int().positive(),
  at: z.iso.datetime(),
  /** Null when no HTTP answer came (refused, timed out). */
  statusCode: z.number().int().min(100).max(599).nullable(),
  error: z.string().max(1000).nullable(),
  durationMs: z.number().int().nonnegative(),
  outcome: WebhookAttemptOutcome,
});
export type WebhookAttemptRecord = z.infer<typeof WebhookAttemptRecord>;
