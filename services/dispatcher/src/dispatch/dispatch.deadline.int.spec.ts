import { randomUUID } from 'node:crypto';
import { Objm } from '@nats-io/obj';
import { CommandClient, connectBus, EventStore, readDeadLetters, type Bus, type BusLogger } from '@gastown/bus';
import { convoyIdFor, generateTownToken, hashTownToken, type CommandReply } from '@gastown/contracts';
import { eventually, TEST_NATS_URL } from '@gastown/testing';
import { DEFAULT_PLAN_LIMITS } from './dispatch.planner';
import { DispatchRunner } from './dispatch.runner';
import { Harness } from './dispatch.harness';

const actor = { kind: 'service', id: 'spec' } as const;
/** The convoy service's default CONVOY_MAX_PLAN_BYTES. */
const MAX_PLAN_BYTES = 8 * 1024 * 1024;

/**
 * A plan that the convoy service keeps in the object store (over 1 MB), in town A; the
 * dispatcher's follower must not stall every other town on it.
 */
function largePlan(rigId: string, tasks: number, bodyChars: number) {
  return {
    title: 'Large plan',
    defaultRigId: rigId,
    mergeMode: 'REVIEW_AND_MERGE',
    parallel: true,
    tasks: Array.from({ length: tasks }, (_, i) => ({ title: `task ${i}`, body: `${i} ${'x'.repeat(bodyChars)}` })),
  };
}

describe('dispatcher reads with deadlines', () => {
  let world: Harness;
  let client: CommandClient;
  const running: { runner: DispatchRunner; bus: Bus }[] = [];

  beforeAll(async () => {
    world = await Harness.start();
    client = new CommandClient(world.bus);
  });
  // Each test judges its own dispatcher: one left running would park the next test's commits first.
  afterEach(async () => {
    for (const { runner, bus } of running.splice(0)) {
      await runner.stop();
      await bus.close();
    }
  });
  afterAll(async () => {
    await world?.stop();
  });

  const request = async (subject: string, command: object) => {
    const reply = await client.request<CommandReply>(subject, command, { timeoutMs: 60_000 });
    if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
    return reply;
  };

  async function otherTown(): Promise<{ townId: string; rigId: string }> {
    const townId = randomUUID();
    const rigId = randomUUID();
    const { town } = world.bus.names.commands;
    await request(town, { type: 'CreateTown', commandId: randomUUID(), townId, actor, data: { name: 'bystander', tokenHash: hashTownToken(generateTownToken()) } });
    await request(town, {
      type: 'RegisterRig',
      commandId: randomUUID(),
      townId,
      actor,
      data: { rigId, name: 'web', gitUrl: '/srv/git/web.git', defaultBranch: 'main', config: { maxPolecats: 1 } },
    });
    return { townId, rigId };
  }

  async function sling(townId: string, data: object): Promise<{ convoyId: string; beadIds: string[] }> {
    const commandId = randomUUID();
    const convoyId = convoyIdFor(townId, commandId);
    const reply = await request(world.bus.names.commands.convoy, { type: 'SlingBatch', commandId, townId, convoyId, actor, data });
    return { convoyId, beadIds: reply.result['beadIds'] as string[] };
  }

  async function dispatcher(name: string, options: { payloadReadTimeoutMs?: number; readAttempts?: number }) {
    const lines: string[] = [];
    const log: BusLogger = { info: (l) => lines.push(`info ${l}`), warn: (l) => lines.push(`warn ${l}`), error: (l) => lines.push(`error ${l}`) };
    const bus = await connectBus({ servers: TEST_NATS_URL, namespace: world.bus.names.namespace, name, logger: log });
    const runner = new DispatchRunner(bus, { dispatcherId: name, log, limits: { ...DEFAULT_PLAN_LIMITS, retryBaseMs: 50, retryMaxMs: 200 }, ...options });
    running.push({ runner, bus });
    const started = Date.now();
    await runner.start();
    return { lines, caughtUpMs: Date.now() - started };
  }

  it('given a town whose stored plan cannot be read within the deadline, when the dispatcher follows the stream, then that convoy is parked and held and another town is dispatched', async () => {
    const hostileRig = await world.rig(2);
    const hostile = await sling(world.townId, largePlan(hostileRig, 200, 6_000));
    const bystander = await otherTown();
    const victim = await sling(bystander.townId, { title: 'Small fix', defaultRigId: bystander.rigId, mergeMode: 'REVIEW_AND_MERGE', tasks: [{ title: 'fix' }] });

    // 1 ms is far too little for any object-store read: the large plan can never be read in time.
    const { lines } = await dispatcher('deadline-tiny', { payloadReadTimeoutMs: 1, readAttempts: 2 });

    const victimSubject = world.bus.names.convoyEvents(bystander.townId, victim.convoyId);
    await eventually(
      'the other town’s bead dispatched',
      async () => {
      const commits = await new EventStore(world.bus).readSubject(victimSubject);
        return commits.some((c) => c.events.some((e) => e.type === 'BeadDispatched'));
      },
      { timeoutMs: 60_000 },
    );
    const letters = await readDeadLetters(world.bus, 'dispatcher');
    const hostileSubject = world.bus.names.convoyEvents(world.townId, hostile.convoyId);
    expect(letters).toEqual([
      expect.objectContaining({ subject: hostileSubject, reason: expect.stringMatching(/could not be read in 2 attempts: reading object .* took longer than 1 ms/) }),
    ]);
    expect(lines.some((l) => l.startsWith('error') && l.includes(`convoy ${hostile.convoyId} is held`))).toBe(true);
    expect(lines.some((l) => l.includes(`dispatch bead #0 ${hostile.beadIds[0]}`))).toBe(false);
  }, 120_000);

  it('given a stored plan whose object was deleted, when a dispatcher follows the stream, then that convoy is parked at once and the next town’s convoy is dispatched', async () => {
    const rigId = await world.rig(1);
    const lost = await sling(world.townId, largePlan(rigId, 200, 6_000));
    const lostSubject = world.bus.names.convoyEvents(world.townId, lost.convoyId);
    const stored = await world.bus.jsm.streams.getMessage(world.bus.names.eventStream, { last_by_subj: lostSubject });
    const { payload } = stored?.json<{ payload: { bucket: string; name: string } }>() ?? { payload: { bucket: '', name: '' } };
    await (await new Objm(world.bus.js).open(payload.bucket)).delete(payload.name);
    const bystander = await otherTown();
    const victim = await sling(bystander.townId, { title: 'After the lost plan', defaultRigId: bystander.rigId, mergeMode: 'REVIEW_AND_MERGE', tasks: [{ title: 'fix' }] });

    await dispatcher('deadline-missing', {});

    const victimSubject = world.bus.names.convoyEvents(bystander.townId, victim.convoyId);
    await eventually(
      'the next town’s bead dispatched',
      async () => (await new EventStore(world.bus).readSubject(victimSubject)).some((c) => c.events.some((e) => e.type === 'BeadDispatched')),
      { timeoutMs: 60_000 },
    );
    const letters = (await readDeadLetters(world.bus, 'dispatcher')).filter((l) => l.subject === lostSubject);
    expect(letters).toEqual([expect.objectContaining({ reason: expect.stringMatching(/is missing/) })]);
  }, 120_000);

  it('given the largest plan the convoy service admits, when a dispatcher with the default deadline catches up, then it reads it well within the deadline and dispatches it', async () => {
    const rigId = await world.rig(1);
    // 1,250 bodies of 6,000 characters: the events come to just under CONVOY_MAX_PLAN_BYTES.
    const plan = largePlan(rigId, 1_250, 6_000);
    expect(Buffer.byteLength(JSON.stringify(plan))).toBeLessThan(MAX_PLAN_BYTES);
    const largest = await sling(world.townId, plan);

    const { caughtUpMs } = await dispatcher('deadline-default', {});
    await eventually('the largest plan’s first bead dispatched', async () => (await world.view(largest.convoyId)).beads.get(largest.beadIds[0])?.status === 'IN_PROGRESS', {
      timeoutMs: 60_000,
    });
    console.info(`largest admissible plan (${Buffer.byteLength(JSON.stringify(plan))} bytes of plan): dispatcher caught up in ${caughtUpMs} ms`);
    expect(caughtUpMs).toBeLessThan(30_000);
  }, 180_000);
});
