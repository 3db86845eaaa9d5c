import { randomUUID } from 'node:crypto';
import { Bus, CommandClient, connectBus, deleteTopology, ensureTopology, EventStore } from '@gastown/bus';
import { CommandReply, CommandSuccess, convoyIdFor, generateTownToken, hashTownToken } from '@gastown/contracts';
import { TEST_NATS_URL, testNamespace } from '@gastown/testing';
import { ConvoyCommandService } from './convoy-command.service';

const actor = { kind: 'user' as const, id: 'store-full-spec' };

function ok(reply: CommandReply): CommandSuccess {
  if (!reply.ok) throw new Error(`expected success, got ${reply.error.code}: ${reply.error.message}`);
  return reply;
}

describe('a full event store', () => {
  const config = { natsUrl: TEST_NATS_URL, namespace: testNamespace(), maxTasks: 100, maxAttempts: 3, maxLandingAttempts: 3 };
  const townId = randomUUID();
  const rigId = randomUUID();
  let bus: Bus;
  let service: ConvoyCommandService;
  let client: CommandClient;
  let store: EventStore;

  beforeAll(async () => {
    bus = await connectBus({ servers: TEST_NATS_URL, namespace: config.namespace, name: 'store-full-spec' });
    await ensureTopology(bus);
    service = new ConvoyCommandService(bus, config);
    await service.start();
    client = new CommandClient(bus);
    store = new EventStore(bus);
    ok(await send(bus.names.commands.town, { type: 'CreateTown', commandId: randomUUID(), townId, actor, data: { name: 'acme', tokenHash: hashTownToken(generateTownToken()) } }));
    ok(await send(bus.names.commands.town, { type: 'RegisterRig', commandId: randomUUID(), townId, actor, data: { rigId, name: 'web', gitUrl: '/srv/git/web.git', defaultBranch: 'main' } }));
  });

  afterAll(async () => {
    await service?.stop();
    await deleteTopology(bus);
    await bus.close();
  });

  /** Through request/reply, as the gateway and the CLI send commands: what a client really receives. */
  function send(subject: string, command: object): Promise<CommandReply> {
    return client.request<CommandReply>(subject, command);
  }

  const sling = (commandId: string, title: string) => ({
    type: 'Sling',
    commandId,
    townId,
    convoyId: convoyIdFor(townId, commandId),
    actor,
    data: { title, rigId },
  });

  /**
   * Fills the stream exactly: max_bytes at its current size makes the server refuse the next
   * write (discard New). Never below it: nats-server 2.9.10 enforces a lowered max_bytes by
   * deleting the oldest messages, whatever the discard policy and deny_delete say.
   */
  async function fillTheStore(): Promise<() => Promise<void>> {
    const info = await bus.jsm.streams.info(bus.names.eventStream);
    await bus.jsm.streams.update(bus.names.eventStream, { ...info.config, max_bytes: info.state.bytes });
    return async () => {
      await bus.jsm.streams.update(bus.names.eventStream, { ...info.config, max_bytes: -1 });
    };
  }

  async function streamState(): Promise<{ messages: number; lastSeq: number }> {
    const { state } = await bus.jsm.streams.info(bus.names.eventStream);
    return { messages: state.messages, lastSeq: state.last_seq };
  }

  it('given the store is full, when a client dispatches a bead, then it hears UNAVAILABLE with the reason and nothing is stored; once space returns the same command id succeeds once', async () => {
    const slung = sling(randomUUID(), 'Fix login');
    const created = ok(await send(bus.names.commands.convoy, slung));
    const convoyId = created.convoyId as string;
    const [beadId] = created.result['beadIds'] as string[];
    const dispatch = { type: 'DispatchBead', commandId: randomUUID(), townId, convoyId, actor, data: { beadId, agent: { id: 'a1', name: 'Polecat' } } };
    const before = await streamState();

    const release = await fillTheStore();
    let refused: CommandReply;
    let again: CommandReply;
    try {
      refused = await send(bus.names.commands.convoy, dispatch);
      // A client retrying while the store is still full keeps hearing the same, and still nothing is written.
      again = await send(bus.names.commands.convoy, dispatch);
    } finally {
      await release();
    }

    for (const reply of [refused, again]) {
      expect(reply).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'UNAVAILABLE', message: expect.stringMatching(/^the event store refused the write: .*maximum bytes exceeded/) }),
      });
    }
    expect(await streamState()).toEqual(before);
    expect(await store.lastSeq(created.subject)).toBe(created.seq);

    const accepted = ok(await send(bus.names.commands.convoy, dispatch));
    expect(accepted).toMatchObject({ duplicate: false, result: { beadId, attempt: 1 } });
    const repeated = ok(await send(bus.names.commands.convoy, dispatch));
    expect(repeated).toMatchObject({ duplicate: true, seq: accepted.seq });
    const commits = await store.readSubject(created.subject);
    expect(commits.map((c) => c.commitId)).toEqual([slung.commandId, dispatch.commandId]);
    expect(commits.flatMap((c) => c.events).filter((e) => e.type === 'BeadDispatched')).toHaveLength(1);
  });

  it('given the store is full, when a client slings a new convoy, then it hears UNAVAILABLE, the convoy does not exist, and the retried command creates it once', async () => {
    const command = sling(randomUUID(), 'Add search');
    const subject = bus.names.convoyEvents(townId, command.convoyId);
    const before = await streamState();

    const release = await fillTheStore();
    let refused: CommandReply;
    try {
      refused = await send(bus.names.commands.convoy, command);
    } finally {
      await release();
    }

    expect(refused).toEqual({ ok: false, error: expect.objectContaining({ code: 'UNAVAILABLE' }) });
    expect(await streamState()).toEqual(before);
    expect(await store.lastSeq(subject)).toBe(0);

    const created = ok(await send(bus.names.commands.convoy, command));
    expect(created.duplicate).toBe(false);
    expect(ok(await send(bus.names.commands.convoy, command))).toMatchObject({ duplicate: true, seq: created.seq });
    expect((await store.readSubject(subject)).map((c) => c.commitId)).toEqual([command.commandId]);
  });
});
