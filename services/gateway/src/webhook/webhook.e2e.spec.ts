import { randomUUID } from 'node:crypto';
import { readDeadLetters, type Bus } from '@gastown/bus';
import type { WebhookAttemptRecord } from '@gastown/contracts';
import { eventually } from '@gastown/testing';
import { DataSource } from 'typeorm';
import { BUS } from '../bus/bus.module';
import { codesOf, GatewayHarness, type TestTown } from '../gateway.fixtures';
import { WEBHOOK_LOG_DURABLE } from './webhook-log.runner';

const WEBHOOK_FIELDS = 'id url events createdAt';
const ADD = `mutation ($input: AddWebhookInput!) { addWebhook(input: $input) { secret webhook { ${WEBHOOK_FIELDS} } } }`;
const REMOVE = `mutation ($id: ID!, $commandId: String) { removeWebhook(id: $id, commandId: $commandId) { ${WEBHOOK_FIELDS} } }`;
const WEBHOOKS = `{ webhooks { ${WEBHOOK_FIELDS} } }`;
const DELIVERY_FIELDS = 'id webhookId convoyId event status createdAt deliveredAt attempts { attempt at statusCode error durationMs }';

interface WebhookView {
  id: string;
  url: string;
  events: string[];
  createdAt: string;
}
interface Added {
  addWebhook: { secret: string; webhook: WebhookView };
}
interface DeliveryView {
  id: string;
  webhookId: string;
  convoyId: string;
  event: string;
  status: string;
  deliveredAt: string | null;
  attempts: { attempt: number; statusCode: number | null; error: string | null; durationMs: number }[];
}

describe('webhooks over GraphQL', () => {
  let h: GatewayHarness;
  let town: TestTown;
  let other: TestTown;
  let bus: Bus;

  const add = (input: Record<string, unknown>, token = town.token) => h.gql<Added>(token, ADD, { input });
  const added = async (input: Record<string, unknown>) => (await h.ok<Added>(town.token, ADD, { input })).addWebhook;
  const list = async (token = town.token) => (await h.ok<{ webhooks: WebhookView[] }>(token, WEBHOOKS)).webhooks;
  const remove = (id: string, commandId?: string, token = town.token) => h.gql<{ removeWebhook: WebhookView }>(token, REMOVE, { id, commandId });

  /** Plays the dispatcher's deliverer: appends one attempt to the delivery log. */
  const logAttempt = async (record: WebhookAttemptRecord) => {
    await bus.js.publish(bus.names.webhookLog(record.townId, record.webhookId), JSON.stringify(record));
  };
  const attemptOf = (webhookId: string, deliveryId: string, attempt: number, statusCode: number | null, outcome: WebhookAttemptRecord['outcome']) =>
    ({
      deliveryId,
      townId: town.id,
      webhookId,
      convoyId: '8c0f3b1e-5a6d-4e7f-8a9b-0c1d2e3f4a5b',
      event: 'CONVOY_LANDED',
      enqueuedAt: '2026-01-01T09:00:00.000Z',
      attempt,
      at: new Date(Date.UTC(2026, 0, 1, 9, 0, attempt)).toISOString(),
      statusCode,
      error: statusCode === 200 ? null : `the receiver answered ${statusCode}`,
      durationMs: 12,
      outcome,
    }) satisfies WebhookAttemptRecord;

  beforeAll(async () => {
    h = await GatewayHarness.start();
    town = await h.createTown('webhook town');
    other = await h.createTown('other town');
    bus = h.gateway.app.get<Bus>(BUS);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('given a url, when a webhook is added, then it is listed for every event, the secret is shown once and PostgreSQL never holds it', async () => {
    const { secret, webhook } = await added({ url: 'https://hooks.example.com/gastown' });

    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(webhook).toMatchObject({ url: 'https://hooks.example.com/gastown', events: ['CONVOY_LANDED', 'CONVOY_FAILED', 'CONVOY_CANCELLED'] });
    expect(await list()).toEqual([webhook]);
    const db = h.gateway.app.get(DataSource);
    const tables = (await db.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)) as { tablename: string }[];
    expect(tables.map((t) => t.tablename)).toContain('webhooks');
    for (const { tablename } of tables) {
      const rows = (await db.query(`SELECT row_to_json(t)::text AS row FROM "${tablename}" t`)) as { row: string }[];
      expect({ tablename, rows: rows.map((r) => r.row).join('\n') }).not.toEqual({ tablename, rows: expect.stringContaining(secret) });
    }
    await remove(webhook.id);
  });

  it("given a webhook added, when every message of the event stream is read raw, then the secret's bytes (as text, base64 or hex) are nowhere in it: it is stored sealed", async () => {
    const { secret, webhook } = await added({ url: 'https://hooks.example.com/raw-stream' });
    const forms = [secret, Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('hex')];

    const info = await bus.jsm.streams.info(bus.names.eventStream);
    const raw: string[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const message = await bus.jsm.streams.getMessage(bus.names.eventStream, { seq });
      if (message) raw.push(Buffer.from(message.data).toString('utf8'));
    }
    const stream = raw.join('\n');
    expect(stream).toContain(webhook.id);
    for (const form of forms) expect(stream.includes(form)).toBe(false);
    await remove(webhook.id);
  });

  it('given an addition whose answer was lost, when it is repeated with the same commandId, then the same webhook and secret come back and nothing is added', async () => {
    const input = { url: 'https://hooks.example.com/retried', events: ['CONVOY_LANDED'], commandId: randomUUID() };
    const first = await added(input);
    const again = await added(input);

    expect(again).toEqual(first);
    expect((await list()).map((w) => w.id)).toEqual([first.webhook.id]);
    await remove(first.webhook.id);
  });

  it.each([
    [{ url: 'ftp://hooks.example.com/x' }, 'url must use http:// or https:// (it uses ftp)'],
    [{ url: 'https://hooks.example.com/x', events: [] }, 'events must name at least one of CONVOY_LANDED, CONVOY_FAILED, CONVOY_CANCELLED'],
    [{ url: 'https://bot:tok3n-value@hooks.example.com/x' }, 'url must not contain credentials (user:password@): receivers verify the X-Gastown-Signature header instead'],
  ])('given %j, when a webhook is added, then the problem is named, no secret or credential is echoed and nothing is added', async (input, message) => {
    const response = await add(input);

    expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors?.[0].message).toBe(message);
    expect(JSON.stringify(response)).not.toContain('tok3n-value');
    expect(await list()).toEqual([]);
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 resolves to 169.254.169.254, a link-local address'],
    ['http://127.1:4222/', '127.0.0.1 resolves to 127.0.0.1, a loopback address'],
    ['http://[::ffff:169.254.169.254]/', '::ffff:a9fe:a9fe resolves to ::ffff:a9fe:a9fe, a link-local address'],
    ['https://localhost/hook', 'localhost resolves to'],
  ])('given the inside url %s, when a webhook is added, then url is refused naming the address and its kind, and nothing is added', async (url, why) => {
    const response = await add({ url });

    expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors?.[0].message).toContain(`url: ${why}`);
    expect(response.errors?.[0].message).toContain('which the operator has not allowed (GASTOWN_EGRESS_ALLOW)');
    expect(response.errors?.[0].extensions?.['errors']).toEqual([{ path: ['url'], message: response.errors?.[0].message }]);
    expect(await list()).toEqual([]);
  });

  it('given a town with ten webhooks, when an eleventh is added, then the limit is named', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await added({ url: `https://hooks.example.com/${i}` })).webhook.id);
    const response = await add({ url: 'https://hooks.example.com/eleven' });

    expect(codesOf(response)).toEqual(['CONFLICT']);
    expect(response.errors?.[0].message).toBe(`town ${town.id} already has 10 webhooks (limit 10): remove one before adding another`);
    expect(response.errors?.[0].extensions).toMatchObject({ count: 10, limit: 10 });
    for (const id of ids) await remove(id);
    expect(await list()).toEqual([]);
  });

  it('given a webhook, when it is removed, then it leaves the list, a retry answers the same, another removal is NOT_FOUND', async () => {
    const { webhook } = await added({ url: 'https://hooks.example.com/removed' });
    const commandId = randomUUID();
    const removed = await remove(webhook.id, commandId);
    const retried = await remove(webhook.id, commandId);
    const again = await remove(webhook.id);

    expect(removed.data?.removeWebhook).toEqual(webhook);
    expect(retried.data?.removeWebhook).toEqual(webhook);
    expect(await list()).toEqual([]);
    expect(codesOf(again)).toEqual(['NOT_FOUND']);
    expect(again.errors?.[0].message).toBe(`webhook ${webhook.id} not found in town ${town.id}`);
  });

  it("given another town's webhook, when this town lists or removes it, then it does not exist here", async () => {
    const { webhook } = await added({ url: 'https://hooks.example.com/private' });

    expect(await list(other.token)).toEqual([]);
    const response = await remove(webhook.id, undefined, other.token);
    expect(codesOf(response)).toEqual(['NOT_FOUND']);
    expect(response.errors?.[0].message).toBe(`webhook ${webhook.id} not found`);
    expect((await list()).map((w) => w.id)).toEqual([webhook.id]);
    await remove(webhook.id);
  });

  it('given a delivery log with a failed and a successful attempt, when read through the webhook and the town, then the delivery is DELIVERED with both attempts', async () => {
    const { webhook } = await added({ url: 'https://hooks.example.com/logged' });
    const deliveryId = randomUUID();
    await logAttempt(attemptOf(webhook.id, deliveryId, 1, 500, 'RETRYING'));
    await logAttempt(attemptOf(webhook.id, deliveryId, 2, 200, 'DELIVERED'));
    // A record stored twice (a retried publish outside the duplicate window) changes nothing.
    await logAttempt(attemptOf(webhook.id, deliveryId, 2, 200, 'DELIVERED'));

    const delivered = await eventually('the delivery projected', async () => {
      const { webhooks } = await h.ok<{ webhooks: (WebhookView & { deliveries: DeliveryView[] })[] }>(
        town.token,
        `{ webhooks { id deliveries(first: 5) { ${DELIVERY_FIELDS} } } }`,
      );
      const [delivery] = webhooks.find((w) => w.id === webhook.id)?.deliveries ?? [];
      return delivery?.status === 'DELIVERED' ? delivery : null;
    });
    expect(delivered).toMatchObject({ id: deliveryId, webhookId: webhook.id, event: 'CONVOY_LANDED', deliveredAt: '2026-01-01T09:00:02.000Z' });
    expect(delivered.attempts).toEqual([
      { attempt: 1, at: '2026-01-01T09:00:01.000Z', statusCode: 500, error: 'the receiver answered 500', durationMs: 12 },
      { attempt: 2, at: '2026-01-01T09:00:02.000Z', statusCode: 200, error: null, durationMs: 12 },
    ]);
    const { webhookDeliveries } = await h.ok<{ webhookDeliveries: DeliveryView[] }>(
      town.token,
      `query ($c: ID) { webhookDeliveries(convoyId: $c) { id status } }`,
      { c: delivered.convoyId },
    );
    expect(webhookDeliveries).toEqual([{ id: deliveryId, status: 'DELIVERED' }]);
    const elsewhere = await h.ok<{ webhookDeliveries: unknown[] }>(other.token, `{ webhookDeliveries { id } }`);
    expect(elsewhere.webhookDeliveries).toEqual([]);
    await remove(webhook.id);
  });

  it('given a delivery log record that is not one, when projected, then it is parked and the records after it still arrive', async () => {
    const webhookId = randomUUID();
    await bus.js.publish(bus.names.webhookLog(town.id, webhookId), '{"deliveryId": "not a record"}');
    const deliveryId = randomUUID();
    await logAttempt(attemptOf(webhookId, deliveryId, 1, null, 'FAILED'));

    const [delivery] = await eventually('the later record projected', async () => {
      const { webhookDeliveries } = await h.ok<{ webhookDeliveries: DeliveryView[] }>(
        town.token,
        `query ($w: ID) { webhookDeliveries(webhookId: $w) { ${DELIVERY_FIELDS} } }`,
        { w: webhookId },
      );
      return webhookDeliveries.length > 0 ? webhookDeliveries : null;
    });
    expect(delivery).toMatchObject({ id: deliveryId, status: 'FAILED', deliveredAt: null });
    const parked = await readDeadLetters(bus, WEBHOOK_LOG_DURABLE, bus.names.webhookLogStream);
    expect(parked.map((l) => l.reason)).toEqual([expect.stringMatching(/^not a delivery log record: deliveryId: /)]);
  });

  it('given a page size of 201, when deliveries are read, then the range is named', async () => {
    const response = await h.gql(town.token, `{ webhookDeliveries(first: 201) { id } }`);
    expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors?.[0].message).toBe('first must be between 0 and 200 (got 201)');
  });
});
