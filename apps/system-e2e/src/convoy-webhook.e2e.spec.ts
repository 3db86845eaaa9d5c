import { createHmac } from 'node:crypto';
import { eventually, startHttpReceiver, type HttpReceiver } from '@gastown/testing';
import { SystemHarness } from '@gastown/system-testing';

describe('a landing notifies the town', () => {
  let system: SystemHarness;
  let receiver: HttpReceiver;

  beforeAll(async () => {
    [system, receiver] = await Promise.all([SystemHarness.start(), startHttpReceiver(200)]);
  });
  afterAll(async () => {
    await receiver?.close();
    await system?.close();
  });

  it('given a webhook, when a convoy lands on a real repository, then the receiver gets a signed convoy.landed naming the landed commit', async () => {
    const { addWebhook } = await system.gql<{ addWebhook: { secret: string; webhook: { id: string } } }>(
      'mutation ($input: AddWebhookInput!) { addWebhook(input: $input) { secret webhook { id } } }',
      { input: { url: receiver.url, events: ['CONVOY_LANDED'] } },
    );
    const repo = system.origin();
    const rigId = await system.registerRig('notified', repo.bare);
    const created = await system.slingBatch({ title: 'Notify me', defaultRigId: rigId, tasks: [{ title: 'A' }] });
    const landed = await system.until(created.id, ['LANDED', 'FAILED', 'CANCELLED']);
    expect(landed.status).toBe('LANDED');

    const [request] = await eventually('the notification', async () => (receiver.requests.length > 0 ? receiver.requests : null));
    const timestamp = request.headers['x-gastown-timestamp'];
    const signature = createHmac('sha256', addWebhook.secret).update(`${timestamp}.${request.rawBody}`).digest('hex');
    expect(request.headers['x-gastown-signature']).toBe(`sha256=${signature}`);
    expect(JSON.parse(request.rawBody)).toMatchObject({
      event: 'convoy.landed',
      townId: system.townId,
      convoy: { id: created.id, title: 'Notify me', status: 'LANDED', landings: [{ rigId, commit: landed.landedCommit }] },
    });
    const delivered = await eventually('the delivery log', async () => {
      const { webhookDeliveries } = await system.gql<{ webhookDeliveries: { status: string; attempts: { statusCode: number }[] }[] }>(
        'query ($w: ID) { webhookDeliveries(webhookId: $w) { status attempts { statusCode } } }',
        { w: addWebhook.webhook.id },
      );
      return webhookDeliveries[0]?.status === 'DELIVERED' ? webhookDeliveries : null;
    });
    expect(delivered).toEqual([{ status: 'DELIVERED', attempts: [{ statusCode: 200 }] }]);
  });
});
