import { randomUUID } from 'node:crypto';
import { Bus, CommandClient, connectBus, deleteTopology, EventStore } from '@gastown/bus';
import { CommandReply, convoyIdFor, generateTownToken, hashTownToken } from '@gastown/contracts';
import { startService, TEST_NATS_URL, testNamespace } from '@gastown/testing';

describe('convoy service process', () => {
  const namespace = testNamespace();
  let bus: Bus;

  beforeAll(async () => {
    bus = await connectBus({ servers: TEST_NATS_URL, namespace, name: 'convoy-e2e' });
  });
  afterAll(async () => {
    await deleteTopology(bus);
    await bus.close();
  });

  it('given a bad environment, when started, then it names each bad value and exits with 2', async () => {
    const service = await startService('convoy', { env: { NATS_URL: 'localhost:4222', CONVOY_MAX_TASKS: 'lots' } });
    expect(await service.exited()).toBe(2);
    expect(service.output()).toMatch(/NATS_URL must be a nats:\/\/ or tls:\/\/ URL with a host/);
    expect(service.output()).toMatch(/CONVOY_MAX_TASKS must be a whole number from 1 to 1000000, got "lots"/);
  });

  it('given the service is SIGKILLed after a command, when a new one starts and the client retries, then there is one effect', async () => {
    const env = { NATS_URL: TEST_NATS_URL, GT_NAMESPACE: namespace };
    const ready = { env, readyText: 'convoy service ready' };
    const first = await startService('convoy', ready);
    const client = new CommandClient(bus);
    const townId = randomUUID();
    const rigId = randomUUID();
    const actor = { kind: 'user', id: 'e2e' };
    await client.request(bus.names.commands.town, { type: 'CreateTown', commandId: randomUUID(), townId, actor, data: { name: 'acme', tokenHash: hashTownToken(generateTownToken()) } });
    await client.request(bus.names.commands.town, { type: 'RegisterRig', commandId: randomUUID(), townId, actor, data: { rigId, name: 'web', gitUrl: '/srv/web.git', defaultBranch: 'main' } });
    const commandId = randomUUID();
    const command = { type: 'Sling', commandId, townId, convoyId: convoyIdFor(townId, commandId), actor, data: { title: 'Fix login', rigId } };
    const reply = await client.request<CommandReply>(bus.names.commands.convoy, command);
    expect(reply.ok).toBe(true);

    first.child.kill('SIGKILL');
    await first.exited();
    const second = await startService('convoy', ready);
    try {
      const retried = await client.request<CommandReply>(bus.names.commands.convoy, command);
      expect(retried).toMatchObject({ ok: true, duplicate: true, seq: reply.ok ? reply.seq : -1 });
      const subject = bus.names.convoyEvents(townId, convoyIdFor(townId, commandId));
      expect(await new EventStore(bus).readSubject(subject)).toHaveLength(1);
    } finally {
      // Nest runs the shutdown hooks (drain, close NATS) and then re-raises the signal.
      second.child.kill('SIGTERM');
      expect(await second.exited()).toBe('SIGTERM');
    }
  });
});
