import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readDeadLetters } from '@gastown/bus';
import { SecretKeyring, secretKeyId } from '@gastown/contracts';
import { eventually, freePort, startHttpReceiver, type HttpReceiver } from '@gastown/testing';
import { WEBHOOK_DELIVERER_DURABLE } from './webhook.deliverer';
import { WEBHOOK_NOTIFIER_DURABLE } from './webhook.notifier';
import { WebhookWorld } from './webhook.harness';

const ADD_WEBHOOK = `mutation ($input: AddWebhookInput!) { addWebhook(input: $input) { secret webhook { id url events } } }`;
const REMOVE_WEBHOOK = `mutation ($id: ID!) { removeWebhook(id: $id) { id } }`;
const DELIVERIES = `query ($webhookId: ID, $convoyId: ID) {
  webhookDeliveries(webhookId: $webhookId, convoyId: $convoyId) {
    id webhookId convoyId event status deliveredAt attempts { attempt statusCode error durationMs }
  }
}`;

interface Delivery {
  id: string;
  webhookId: string;
  convoyId: string;
  event: string;
  status: string;
  deliveredAt: string | null;
  attempts: { attempt: number; statusCode: number | null; error: string | null; durationMs: number }[];
}

interface Payload {
  id: string;
  event: string;
  townId: string;
  convoy: { id: string; title: string; status: string; mergeMode: string; landings: { rigId: string; commit: string }[] };
  sequence: number;
}

describe('webhook delivery', () => {
  let world: WebhookWorld;
  const receivers: HttpReceiver[] = [];

  const receiver = async (...statuses: number[]) => {
    const r = await startHttpReceiver(...statuses);
    receivers.push(r);
    return r;
  };
  const addWebhook = async (url: string, events?: string[]) =>
    (await world.ok<{ addWebhook: { secret: string; webhook: { id: string } } }>(ADD_WEBHOOK, { input: { url, events } })).addWebhook;
  const deliveries = async (filter: { webhookId?: string; convoyId?: string }) =>
    (await world.ok<{ webhookDeliveries: Delivery[] }>(DELIVERIES, filter)).webhookDeliveries;
  /** Waits for the gateway's projection of the delivery log, as a client polling the API would. */
  const settled = (what: string, filter: { webhookId?: string; convoyId?: string }, check: (list: Delivery[]) => boolean) =>
    eventually(what, async () => {
      const list = await deliveries(filter);
      return check(list) ? list : null;
    });

  beforeAll(async () => {
    world = await WebhookWorld.start();
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await world?.stop();
  });

  it('given a webhook added between two landings, when the second convoy lands, then only it is delivered, signed so that the secret verifies it', async () => {
    const hook = await receiver(200);
    const webhooks = await world.webhooks();
    await world.land(await world.sling('Before the webhook'));
    const { secret, webhook } = await addWebhook(hook.url);
    const convoyId = await world.sling('Login page');
    await world.land(convoyId);

    await settled('the delivery in the log', { webhookId: webhook.id }, (list) => list[0]?.status === 'DELIVERED');
    expect(hook.requests).toHaveLength(1);
    const [request] = hook.requests;
    const { method, headers, rawBody } = request;
    expect(method).toBe('POST');
    const timestamp = Number(headers['x-gastown-timestamp']);
    const expected = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
    expect(headers['x-gastown-signature']).toBe(`sha256=${expected}`);
    expect(Math.abs(Date.now() / 1000 - timestamp)).toBeLessThan(60);
    expect(headers['content-type']).toBe('application/json');
    expect(headers['x-gastown-event']).toBe('convoy.landed');
    const payload = JSON.parse(rawBody) as Payload;
    expect(headers['x-gastown-delivery']).toBe(payload.id);
    expect(payload).toMatchObject({
      event: 'convoy.landed',
      townId: world.townId,
      convoy: { id: convoyId, title: 'Login page', status: 'LANDED', mergeMode: 'REVIEW_AND_MERGE', landings: [{ rigId: world.rigId, commit: 'cd'.repeat(20) }] },
    });

    const [delivery] = await deliveries({ webhookId: webhook.id });
    expect(delivery).toMatchObject({ id: payload.id, convoyId, event: 'CONVOY_LANDED', attempts: [{ attempt: 1, statusCode: 200, error: null }] });
    expect(delivery.deliveredAt).not.toBeNull();
    expect(webhooks.lines.join('\n')).not.toContain(secret);
    expect(webhooks.lines.join('\n')).not.toContain(hook.url);
    await world.ok(REMOVE_WEBHOOK, { id: webhook.id });
    await webhooks.stop();
  });

  it('given a receiver that fails twice, when a convoy is cancelled, then the third attempt delivers the same delivery and the log shows all three', async () => {
    const hook = await receiver(500, 503, 200);
    const { webhook } = await addWebhook(hook.url, ['CONVOY_CANCELLED']);
    const webhooks = await world.webhooks();
    const convoyId = await world.sling('Checkout');
    await world.cancel(convoyId, 'replaced by another plan');

    const [delivery] = await settled('three attempts', { convoyId }, (list) => list[0]?.status === 'DELIVERED');
    expect(delivery.attempts.map((a) => [a.attempt, a.statusCode, a.error])).toEqual([
      [1, 500, 'the receiver answered 500'],
      [2, 503, 'the receiver answered 503'],
      [3, 200, null],
    ]);
    expect(hook.requests).toHaveLength(3);
    expect(new Set(hook.requests.map((r) => r.headers['x-gastown-delivery']))).toEqual(new Set([delivery.id]));
    expect(new Set(hook.requests.map((r) => r.rawBody)).size).toBe(1);
    expect(JSON.parse(hook.requests[2].rawBody)).toMatchObject({ event: 'convoy.cancelled', convoy: { status: 'CANCELLED', cancelReason: 'replaced by another plan' } });
    await world.ok(REMOVE_WEBHOOK, { id: webhook.id });
    await webhooks.stop();
  });

  it("given another town without webhooks whose plan cannot be read, when a convoy is cancelled, then its delivery is not held up and nothing is parked", async () => {
    const hook = await receiver(200);
    const { webhook } = await addWebhook(hook.url, ['CONVOY_CANCELLED']);
    const webhooks = await world.webhooks();
    await world.neighbourWithLostPlan();
    const convoyId = await world.sling('Pricing page');
    await world.cancel(convoyId);

    // Read, the lost plan would be retried with back-off for half an hour before this convoy's turn.
    const [delivery] = await settled('the delivery', { convoyId }, (list) => list[0]?.status === 'DELIVERED');
    expect(delivery.attempts.map((a) => a.statusCode)).toEqual([200]);
    expect(await readDeadLetters(world.bus, WEBHOOK_NOTIFIER_DURABLE)).toEqual([]);
    await world.ok(REMOVE_WEBHOOK, { id: webhook.id });
    await webhooks.stop();
  });

  it('given a receiver that always fails, when the attempts run out, then the delivery is FAILED after the last one and the job is parked', async () => {
    const hook = await receiver(502);
    const { webhook } = await addWebhook(hook.url);
    const webhooks = await world.webhooks({ maxAttempts: 3 });
    const convoyId = await world.sling('Search');
    await world.cancel(convoyId);

    const [delivery] = await settled('the failed delivery', { webhookId: webhook.id }, (list) => list[0]?.status === 'FAILED');
    expect(delivery.attempts.map((a) => a.statusCode)).toEqual([502, 502, 502]);
    expect(delivery.deliveredAt).toBeNull();
    const parked = await eventually('the parked job', async () => {
      const letters = await readDeadLetters(world.bus, WEBHOOK_DELIVERER_DURABLE, world.bus.names.jobStream);
      return letters.length > 0 ? letters : null;
    });
    expect(parked).toHaveLength(1);
    expect(parked[0].reason).toContain(`delivery ${delivery.id} attempt 3 of 3: the receiver answered 502`);
    expect(hook.requests).toHaveLength(3);
    await world.ok(REMOVE_WEBHOOK, { id: webhook.id });
    await webhooks.stop();
  });

  it('given a webhook removed between two landings, when the second convoy lands, then it gets nothing more while a remaining webhook is told', async () => {
    const removed = await receiver(200);
    const kept = await receiver(200);
    const webhooks = await world.webhooks();
    const gone = await addWebhook(removed.url);
    const stays = await addWebhook(kept.url);
    const before = await world.sling('Billing');
    await world.land(before);
    await settled('both told of the first landing', { convoyId: before }, (list) => list.length === 2 && list.every((d) => d.status === 'DELIVERED'));
    await world.ok(REMOVE_WEBHOOK, { id: gone.webhook.id });
    const convoyId = await world.sling('Invoices');
    await world.land(convoyId);

    // Both would have been queued by the same commit: once the kept one is in the log, the other would be too.
    await settled('the kept delivery', { convoyId }, (list) => list.some((d) => d.webhookId === stays.webhook.id && d.status === 'DELIVERED'));
    expect((await deliveries({ convoyId })).map((d) => d.webhookId)).toEqual([stays.webhook.id]);
    expect(removed.requests).toHaveLength(1);
    expect(kept.requests).toHaveLength(2);
    await world.ok(REMOVE_WEBHOOK, { id: stays.webhook.id });
    await webhooks.stop();
  });

  it('given a delivery waiting for its retry, when its webhook is removed, then nothing more is sent and the delivery ends FAILED', async () => {
    const hook = await receiver(500, 200);
    const { webhook } = await addWebhook(hook.url);
    const webhooks = await world.webhooks({ retryBaseMs: 1_000, retryMaxMs: 1_000 });
    const convoyId = await world.sling('Removed while retrying');
    await world.cancel(convoyId);
    await eventually('the failed first attempt', async () => hook.requests.length === 1);
    await world.ok(REMOVE_WEBHOOK, { id: webhook.id });

    const [delivery] = await settled('the abandoned delivery', { webhookId: webhook.id }, (list) => list[0]?.status === 'FAILED');
    expect(delivery.attempts.map((a) => [a.attempt, a.statusCode, a.error])).toEqual([
      [1, 500, 'the receiver answered 500'],
      [2, null, 'the webhook was removed; nothing was sent'],
    ]);
    expect(hook.requests).toHaveLength(1);
    await webhooks.stop();
  });

  it('given the dispatcher was down while a convoy landed and a webhook was added after it, when it catches up, then only later outcomes are delivered', async () => {
    const hook = await receiver(200);
    const early = await world.sling('Landed while down');
    await world.land(early);
    const { webhook } = await addWebhook(hook.url);
    const late = await world.sling('Landed after the webhook');
    await world.land(late);
    const webhooks = await world.webhooks();

    await settled('the later delivery', { webhookId: webhook.id }, (list) => list[0]?.status === 'DELIVERED');
    expect(hook.requests.map((r) => (JSON.parse(r.rawBody) as Payload).convoy.id)).toEqual([late]);
    expect((await deliveries({ convoyId: early })).map((d) => d.webhookId)).not.toContain(webhook.id);
    await world.ok(REMOVE_WEBHOOK, { id: webhook.id });
    await webhooks.stop();
  });

  it('given the dispatcher restarts between attempts and after a delivery, when it runs again, then the delivery completes and nothing is delivered twice', async () => {
    const hook = await receiver(500, 200);
    const { webhook } = await addWebhook(hook.url);
    const first = await world.webhooks({ retryBaseMs: 1_500, retryMaxMs: 1_500 });
    const convoyId = await world.sling('Profile');
    await world.cancel(convoyId);
    await eventually('the failed first attempt', async () => hook.requests.length === 1);
    await first.stop();

    const second = await world.webhooks({ retryBaseMs: 1_500, retryMaxMs: 1_500 });
    const [delivery] = await settled('the retried delivery', { webhookId: webhook.id }, (list) => list[0]?.status === 'DELIVERED');
    expect(delivery.attempts.map((a) => a.statusCode)).toEqual([500, 200]);
    await second.stop();

    const third = await world.webhooks();
    const next = await world.sling('Settings');
    await world.cancel(next);
    await settled('the next convoy delivered', { webhookId: webhook.id }, (list) => list.length === 2 && list.every((d) => d.status === 'DELIVERED'));
    expect(hook.requests.map((r) => (JSON.parse(r.rawBody) as Payload).convoy.id)).toEqual([convoyId, convoyId, next]);
    // Within the server's duplicate window a repeated job would be dropped silently; the notifier must not even try.
    expect(third.lines.filter((line) => line.includes(' queued: '))).toEqual([expect.stringContaining(`of convoy ${next} `)]);
    await world.ok(REMOVE_WEBHOOK, { id: webhook.id });
    await third.stop();
  });

  it("given a dispatcher without the key that sealed a webhook's signing key, when a convoy is cancelled, then nothing is sent and each attempt names the missing key", async () => {
    const hook = await receiver(200);
    const { webhook } = await addWebhook(hook.url);
    const stranger = randomBytes(32);
    const webhooks = await world.webhooks({ maxAttempts: 2, secrets: new SecretKeyring(stranger) });
    const convoyId = await world.sling('Locked out');
    await world.cancel(convoyId);

    const [delivery] = await settled('the failed delivery', { webhookId: webhook.id }, (found) => found.some((d) => d.status === 'FAILED'));
    expect(delivery.attempts.map((a) => a.error)).toEqual([
      expect.stringMatching(/^nothing was sent: the signing key cannot be opened \(secret sealed with key [0-9a-f]{16}, which is neither GASTOWN_SECRETS_KEY nor one of GASTOWN_SECRETS_PREVIOUS_KEYS\)$/),
      expect.stringMatching(/^nothing was sent/),
    ]);
    expect(delivery.attempts[0].error).not.toContain(secretKeyId(stranger));
    expect(hook.requests).toEqual([]);
    await world.ok(REMOVE_WEBHOOK, { id: webhook.id });
    await webhooks.stop();
  });

  it('given a receiver that refuses connections and one that never answers, when a convoy is cancelled, then each attempt is logged without a status and with the reason', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const refusing = await addWebhook(`http://127.0.0.1:${await freePort()}/hook`);
      const hanging = await addWebhook(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/hook`);
      const webhooks = await world.webhooks({ maxAttempts: 2, timeoutMs: 300 });
      const convoyId = await world.sling('Unreachable');
      await world.cancel(convoyId);

      const ids = [refusing.webhook.id, hanging.webhook.id];
      const list = await settled('both failed', { convoyId }, (found) => ids.every((id) => found.some((d) => d.webhookId === id && d.status === 'FAILED')));
      const attemptsOf = (webhookId: string) => list.find((d) => d.webhookId === webhookId)?.attempts.map((a) => [a.statusCode, a.error]);
      expect(attemptsOf(refusing.webhook.id)).toEqual([
        [null, 'could not reach the receiver (ECONNREFUSED)'],
        [null, 'could not reach the receiver (ECONNREFUSED)'],
      ]);
      expect(attemptsOf(hanging.webhook.id)).toEqual([
        [null, 'no answer within 300 ms'],
        [null, 'no answer within 300 ms'],
      ]);
      await world.ok(REMOVE_WEBHOOK, { id: refusing.webhook.id });
      await world.ok(REMOVE_WEBHOOK, { id: hanging.webhook.id });
      await webhooks.stop();
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});
