import { createHmac } from 'node:crypto';

/**
 * The X-Gastown-Signature value: HMAC-SHA256, keyed with the secret exactly as addWebhook showed
 * it, over `${timestamp}.${rawBody}`. Signing the timestamp lets a receiver refuse old replays.
 */
export function webhookSignature(secret: string, timestamp: number, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;
}
