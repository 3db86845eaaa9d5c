import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  connectBus,
  EventStore,
  NATS_SERVICES,
  natsAuthorizationConfig,
  natsCredentialsOf,
  natsUserOf,
  type Bus,
  type NatsService,
  type NatsUser,
} from '@gastown/bus';
import { SystemHarness } from '@gastown/system-testing';
import { eventually, freePort, startHttpReceiver, startNatsServer, testNamespace, type HttpReceiver, type NatsServerProcess } from '@gastown/testing';

/**
 * The whole system as `npm start` runs it, on a nats-server of its own that refuses anonymous
 * clients and gives each service only the permissions of libs/bus/src/nats.permissions.ts.
 */
describe('the system on an authenticating NATS server', () => {
  const namespace = testNamespace();
  const users = Object.fromEntries(
    NATS_SERVICES.map((service) => [service, { user: natsUserOf(service, namespace), password: randomBytes(24).toString('base64url') }]),
  ) as Record<NatsService, NatsUser>;
  let storeDir: string;
  let server: NatsServerProcess;
  let system: SystemHarness;
  let receiver: HttpReceiver;
  let hostile: Bus | undefined;

  beforeAll(async () => {
    storeDir = await mkdtemp(join(tmpdir(), 'gt-nats-auth-system-'));
    server = await startNatsServer({ port: await freePort(), storeDir, config: natsAuthorizationConfig(users, namespace) });
    receiver = await startHttpReceiver(200);
    system = await SystemHarness.start({
      namespace,
      nats: {
        url: server.url,
        operator: natsCredentialsOf('operator', users.operator, namespace),
        serviceEnv: (service) => ({ NATS_USER: users[service as NatsService].user, NATS_PASSWORD: users[service as NatsService].password }),
      },
    });
  });

  afterAll(async () => {
    try {
      await hostile?.close();
      await receiver?.close();
      await system?.close();
    } finally {
      await server?.kill();
      if (storeDir) await rm(storeDir, { recursive: true, force: true });
    }
  });

  it("given every service on its own user, when a town adds a webhook and a convoy lands, then it lands, the receiver's signature verifies, the key is nowhere in the stream and the server refused nothing", async () => {
    const { addWebhook } = await system.gql<{ addWebhook: { secret: string; webhook: { id: string } } }>(
      'mutation ($input: AddWebhookInput!) { addWebhook(input: $input) { secret webhook { id } } }',
      { input: { url: receiver.url, events: ['CONVOY_LANDED'] } },
    );
    const rigId = await system.registerRig('guarded', system.origin().bare);
    const created = await system.slingBatch({ title: 'Behind a locked bus', defaultRigId: rigId, tasks: [{ title: 'A' }, { title: 'B', dependsOn: [0] }] });
    const landed = await system.until(created.id, ['LANDED', 'FAILED', 'CANCELLED']);
    expect(landed.status).toBe('LANDED');

    const [request] = await eventually('the notification', async () => (receiver.requests.length > 0 ? receiver.requests : null));
    const timestamp = request.headers['x-gastown-timestamp'];
    const expected = createHmac('sha256', addWebhook.secret).update(`${timestamp}.${request.rawBody}`).digest('hex');
    expect(request.headers['x-gastown-signature']).toBe(`sha256=${expected}`);

    const stream = (await system.events(created.id)).concat(
      (await new EventStore(system.bus).readSubject(system.bus.names.townEvents(system.townId))).flatMap((c) => c.events),
    );
    expect(stream.some((e) => e.type === 'WebhookAdded')).toBe(true);
    expect(JSON.stringify(stream)).not.toContain(addWebhook.secret);

    expect(server.output()).not.toMatch(/Permissions Violation|Authorization Violation/);
  });

  it("given the git-runner's own credentials in a hostile agent's hands, when it forges a cancellation of another convoy, then the server refuses it and that convoy still lands", async () => {
    hostile = await connectBus({
      servers: server.url,
      namespace,
      name: 'hostile-agent',
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      credentials: natsCredentialsOf('git-runner', users['git-runner'], namespace),
    });
    const rigId = await system.registerRig('victim', system.origin().bare);
    const victim = await system.slingBatch({ title: 'Victim', defaultRigId: rigId, tasks: [{ title: 'Only' }] });
    const subject = hostile.names.convoyEvents(system.townId, victim.id);
    const forged = {
      eventId: randomUUID(),
      type: 'ConvoyCancelled',
      schemaVersion: 1,
      townId: system.townId,
      convoyId: victim.id,
      commandId: randomUUID(),
      causationId: null,
      correlationId: randomUUID(),
      actor: { kind: 'user', id: 'hostile' },
      occurredAt: new Date().toISOString(),
      data: { reason: 'forged', stopAgents: [], dropReviews: [], dropLanding: true },
    };
    await expect(hostile.js.publish(subject, JSON.stringify({ commitId: randomUUID(), events: [forged] }))).rejects.toThrow(/Permissions Violation for Publish/);

    expect((await system.until(victim.id, ['LANDED', 'FAILED', 'CANCELLED'])).status).toBe('LANDED');
  });
});
