import type { GatewayClient } from '../client/gateway.client';

export type WebhookEvent = 'CONVOY_LANDED' | 'CONVOY_FAILED' | 'CONVOY_CANCELLED';

export interface WebhookSummary {
  id: string;
  url: string;
  events: WebhookEvent[];
  createdAt: string;
}

export interface WebhookDelivery {
  id: string;
  webhookId: string;
  convoyId: string;
  event: WebhookEvent;
  status: 'PENDING' | 'DELIVERED' | 'FAILED';
  createdAt: string;
  deliveredAt: string | null;
  attempts: { attempt: number; at: string; statusCode: number | null; error: string | null; durationMs: number }[];
}

const WEBHOOK_FIELDS = 'id url events createdAt';
const DELIVERY_FIELDS = 'id webhookId convoyId event status createdAt deliveredAt attempts { attempt at statusCode error durationMs }';

export async function listWebhooks(client: GatewayClient): Promise<WebhookSummary[]> {
  return (await client.request<{ webhooks: WebhookSummary[] }>(`{ webhooks { ${WEBHOOK_FIELDS} } }`)).webhooks;
}

export async function addWebhook(
  client: GatewayClient,
  input: { url: string; events?: WebhookEvent[]; commandId?: string },
): Promise<{ webhook: WebhookSummary; secret: string }> {
  const data = await client.request<{ addWebhook: { webhook: WebhookSummary; secret: string } }>(
    `mutation ($input: AddWebhookInput!) { addWebhook(input: $input) { webhook { ${WEBHOOK_FIELDS} } secret } }`,
    { input },
  );
  return data.addWebhook;
}

export async function removeWebhook(client: GatewayClient, id: string, commandId?: string): Promise<WebhookSummary> {
  const data = await client.request<{ removeWebhook: WebhookSummary }>(
    `mutation ($id: ID!, $commandId: String) { removeWebhook(id: $id, commandId: $commandId) { ${WEBHOOK_FIELDS} } }`,
    { id, commandId },
  );
  return data.removeWebhook;
}

export async function listDeliveries(
  client: GatewayClient,
  filter: { webhookId?: string; convoyId?: string; first?: number } = {},
): Promise<WebhookDelivery[]> {
  const data = await client.request<{ webhookDeliveries: WebhookDelivery[] }>(
    `query ($webhookId: ID, $convoyId: ID, $first: Int) { webhookDeliveries(webhookId: $webhookId, convoyId: $convoyId, first: $first) { ${DELIVERY_FIELDS} } }`,
    filter,
  );
  return data.webhookDeliveries;
}
