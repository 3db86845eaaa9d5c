import { randomUUID } from 'node:crypto';
import { Bus, connectBus, deleteTopology, ensureTopology, EventStore } from '@gastown/bus';
import { CommandReply, CommandSuccess, hashTownToken, generateTownToken, convoyIdFor } from '@gastown/contracts';
import { eventually, TEST_NATS_URL, testNamespace } from '@gastown/testing';
import { ConvoyCommandService } from './convoy-command.service';

const actor = { kind: 'user' as const, id: 'spec' };

function ok(reply: CommandReply): CommandSuccess {
  if (!reply.ok) throw new Error(`expected success, got ${reply.error.code}: ${reply.error.message}`);
  return reply;
}

describe('convoy command service on real JetStream', () => {
  let bus: Bus;
  let service: ConvoyCommandService;
  const config = { natsUrl: TEST_NATS_URL, namespace: testNamespace(), maxTasks: 10_000, maxAttempts: 3, maxLandingAttempts: 3 };
  const townId = randomUUID();
  const rigId = randomUUID();

  const slingBatch = (commandId: string, tasks: { title: string; dependsOn?: number[] }[], extra: object = {}) => ({
    type: 'SlingBatch',
    commandId,
    townId,
    convoyId: convoyIdFor(townId, commandId),
    actor,
    data: { title: 'Login page', defaultRigId: rigId, tasks, ...extra },
  });
  const onConvoy = (convoyId: string, type: string, data: object, commandId = randomUUID()) => ({
    type,
    commandId,
    townId,
    convoyId,
    actor,
    data,
  });

  beforeAll(async () => {
    bus = await connectBus({ servers: TEST_NATS_URL, namespace: config.namespace, name: 'convoy-spec' });
    await ensureTopology(bus);
    service = new ConvoyCommandService(bus, config);
    ok(await service.townCommand({ type: 'CreateTown', commandId: randomUUID(), townId, actor, data: { name: 'acme', tokenHash: hashTownToken(generateTownToken()) } }));
    ok(await service.townCommand({ type: 'RegisterRig', commandId: randomUUID(), townId, actor, data: { rigId, name: 'web', gitUrl: '/srv/git/web.git', defaultBranch: 'main' } }));
  });

  afterAll(async () => {
    await deleteTopology(bus);
    await bus.close();
  });

  it('given a diamond plan, when slung, then one commit holds the convoy, its beads and the first ready bead', async () => {
    const reply = ok(await service.convoyCommand(slingBatch(randomUUID(), [{ title: 'A' }, { title: 'B', dependsOn: [0] }, { title: 'C', dependsOn: [0] }, { title: 'D', dependsOn: [1, 2] }])));
    const commits = await new EventStore(bus).readSubject(reply.subject);
    expect(commits).toHaveLength(1);
    expect(commits[0].events.map((e) => e.type)).toEqual(['ConvoyCreated', 'BeadCreated', 'BeadCreated', 'BeadCreated', 'BeadCreated', 'BeadsBecameReady']);
    expect(reply.result['beadIds']).toHaveLength(4);
  });

  it('given a plan with a cycle, when slung, then it is refused with the cycle and nothing is written', async () => {
    const commandId = randomUUID();
    const reply = await service.convoyCommand(slingBatch(commandId, [{ title: 'A', dependsOn: [2] }, { title: 'B', dependsOn: [0] }, { title: 'C', dependsOn: [1] }]));
    expect(reply).toMatchObject({ ok: false, error: { code: 'BAD_USER_INPUT' } });
    expect(!reply.ok && reply.error.message).toMatch(/tasks 0 → 2 → 1 → 0 form a cycle/);
    expect(await new EventStore(bus).lastSeq(bus.names.convoyEvents(townId, convoyIdFor(townId, commandId)))).toBe(0);
  });

  it('given a malformed command, when sent, then the field is named and nothing is written', async () => {
    const reply = await service.convoyCommand({ ...slingBatch(randomUUID(), [{ title: 'A' }]), data: { title: 'x', tasks: 'nope' } });
    expect(reply).toMatchObject({ ok: false, error: { code: 'BAD_USER_INPUT' } });
    expect(!reply.ok && reply.error.message).toMatch(/data\.tasks/);
  });

  it('given many replicas racing on one convoy, when each dispatches a different bead, then no update is lost', async () => {
    const tasks = Array.from({ length: 12 }, (_, i) => ({ title: `task ${i}` }));
    const created = ok(await service.convoyCommand(slingBatch(randomUUID(), tasks, { parallel: true })));
    const convoyId = created.convoyId as string;
    const beadIds = created.result['beadIds'] as string[];
    // Separate services have separate caches: they really race on the expected sequence.
    const replicas = [service, new ConvoyCommandService(bus, config), new ConvoyCommandService(bus, config)];
    const replies = await Promise.all(
      beadIds.map((beadId, i) =>
        replicas[i % replicas.length].convoyCommand(onConvoy(convoyId, 'DispatchBead', { beadId, agent: { id: `agent-${i}`, name: `Polecat ${i}` } })),
      ),
    );
    replies.forEach(ok);
    const events = (await new EventStore(bus).readSubject(created.subject)).flatMap((c) => c.events);
    const dispatched = events.filter((e) => e.type === 'BeadDispatched').map((e) => (e.data as { beadId: string }).beadId);
    expect(dispatched.sort()).toEqual([...beadIds].sort());
    expect(new Set(replies.map((r) => ok(r).seq)).size).toBe(beadIds.length);
  });

  it('given a command repeated, when sent again (to a cold replica too), then the first result returns and nothing is appended', async () => {
    const commandId = randomUUID();
    const first = ok(await service.convoyCommand(slingBatch(commandId, [{ title: 'only' }])));
    const again = ok(await service.convoyCommand(slingBatch(commandId, [{ title: 'only' }])));
    const cold = ok(await new ConvoyCommandService(bus, config).convoyCommand(slingBatch(commandId, [{ title: 'only' }])));
    for (const r of [again, cold]) expect(r).toMatchObject({ seq: first.seq, duplicate: true, result: first.result });
    expect(await new EventStore(bus).readSubject(first.subject)).toHaveLength(1);
  });

  it('given the duplicate window has passed, when a command is repeated, then the aggregate still recognises it', async () => {
    const stream = await bus.jsm.streams.info(bus.names.eventStream);
    await bus.jsm.streams.update(bus.names.eventStream, { ...stream.config, duplicate_window: 200_000_000 });
    try {
      const commandId = randomUUID();
      const created = ok(await service.convoyCommand(slingBatch(commandId, [{ title: 'only' }])));
      const close = onConvoy(created.convoyId as string, 'CloseConvoy', { reason: 'changed plans' });
      const closed = ok(await service.convoyCommand(close));
      // The server forgets message ids after the window: wait until a probe id is accepted twice.
      const probe = `${bus.names.namespace}.evt.${randomUUID()}.town`;
      const msgID = randomUUID();
      await bus.js.publish(probe, '{}', { msgID });
      await eventually('the duplicate window to pass', async () => !(await bus.js.publish(probe, '{}', { msgID })).duplicate);
      const repeated = ok(await new ConvoyCommandService(bus, config).convoyCommand(close));
      expect(repeated).toMatchObject({ seq: closed.seq, duplicate: true });
      expect(await new EventStore(bus).readSubject(created.subject)).toHaveLength(2);
    } finally {
      await bus.jsm.streams.update(bus.names.eventStream, stream.config);
    }
  });

  it('given the write was stored but not confirmed, when the client retries, then there is one effect', async () => {
    const commandId = randomUUID();
    const command = slingBatch(commandId, [{ title: 'only' }]);
    const dying = new ConvoyCommandService(bus, config);
    const store = (dying as unknown as { handler: { store: EventStore } }).handler.store;
    const append = store.append.bind(store);
    store.append = async (...args) => {
      await append(...args);
      throw new Error('process killed before the reply');
    };
    const lost = await dying.convoyCommand(command);
    expect(lost).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', message: expect.stringMatching(/outcome is unknown: retry with the same commandId/) } });
    const retried = ok(await new ConvoyCommandService(bus, config).convoyCommand(command));
    expect(retried.duplicate).toBe(true);
    expect(await new EventStore(bus).readSubject(retried.subject)).toHaveLength(1);
  });

  it('given a rig registered through another replica, when a stale replica slings onto it, then it is found', async () => {
    const other = new ConvoyCommandService(bus, config);
    const newRig = randomUUID();
    await service.convoyCommand(slingBatch(randomUUID(), [{ title: 'warm the cache' }]));
    ok(await other.townCommand({ type: 'RegisterRig', commandId: randomUUID(), townId, actor, data: { rigId: newRig, name: 'api', gitUrl: 'https://example.invalid/api.git', defaultBranch: 'main' } }));
    const reply = await service.convoyCommand({ ...slingBatch(randomUUID(), [{ title: 'x' }]), data: { title: 'on api', defaultRigId: newRig, tasks: [{ title: 'x' }] } });
    expect(reply.ok).toBe(true);
  });
});
