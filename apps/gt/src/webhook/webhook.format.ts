import type { WebhookDelivery, WebhookEvent, WebhookSummary } from '@gastown/gateway-client';
import { UsageError } from '../cli.errors';
import { table, time } from '../output/output.format';

const EVENTS: Record<string, WebhookEvent> = { landed: 'CONVOY_LANDED', failed: 'CONVOY_FAILED', cancelled: 'CONVOY_CANCELLED' };

/** `landed,failed` (or `convoy_landed`, any case) into the API's events; a usage error names the bad one. */
export function parseWebhookEvents(value: string): WebhookEvent[] {
  const words = value.split(',').map((w) => w.trim().toLowerCase().replace(/^convoy[_.-]/, '')).filter(Boolean);
  if (words.length === 0) throw new UsageError('--events must list at least one of landed, failed, cancelled');
  const events = words.map((word) => {
    const event = EVENTS[word];
    if (!event) throw new UsageError(`--events: unknown event "${word}" (known: ${Object.keys(EVENTS).join(', ')})`);
    return event;
  });
  return [...new Set(events)];
}

const eventName = (event: WebhookEvent) => event.replace(/^CONVOY_/, '').toLowerCase();

export function formatWebhookAdded(created: { webhook: WebhookSummary; secret: string }): string[] {
  return [
    `webhook ${created.webhook.id} added: ${created.webhook.url} (${created.webhook.events.map(eventName).join(', ')})`,
    `secret (shown once, keep it secret): ${created.secret}`,
    'each delivery carries X-Gastown-Signature: sha256=HMAC-SHA256(secret, "<X-Gastown-Timestamp>.<body>")',
  ];
}

export function formatWebhooks(webhooks: readonly WebhookSummary[]): string[] {
  if (webhooks.length === 0) return ['no webhooks: add one with gt webhook add <url>'];
  return table(
    ['ID', 'EVENTS', 'CREATED', 'URL'],
    webhooks.map((w) => [w.id, w.events.map(eventName).join(','), time(w.createdAt), w.url]),
  );
}

/** The latest attempt says why a delivery is still pending or gave up. */
function lastAttempt(delivery: WebhookDelivery): string {
  const last = delivery.attempts[delivery.attempts.length - 1];
  if (!last) return '-';
  return last.statusCode !== null ? `HTTP ${last.statusCode}` : (last.error ?? 'no answer');
}

export function formatDeliveries(deliveries: readonly WebhookDelivery[]): string[] {
  if (deliveries.length === 0) return ['no deliveries yet'];
  return table(
    ['ID', 'EVENT', 'STATUS', 'TRIES', 'LAST', 'CREATED', 'CONVOY', 'WEBHOOK'],
    deliveries.map((d) => [d.id, eventName(d.event), d.status, String(d.attempts.length), lastAttempt(d), time(d.createdAt), d.convoyId, d.webhookId]),
  );
}
