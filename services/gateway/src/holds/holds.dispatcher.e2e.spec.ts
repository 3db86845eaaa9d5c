import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Objm } from '@nats-io/obj';
import { CommandClient, connectBus, HoldsRegistry, type Bus } from '@gastown/bus';
import { convoyIdFor, type CommandReply } from '@gastown/contracts';
import { eventually, startService, TEST_NATS_URL, type ServiceProcess } from '@gastown/testing';
import { GatewayHarness, type TestTown } from '../gateway.fixtures';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const ROOT = join(__dirname, '../../../..');

interface HeldConvoy {
  held: boolean;
  heldReason: string | null;
  hold: { service: string; seq: number; reason: string; since: string } | null;
  beads: { id: string; status: string }[];
}
const FIELDS = 'held heldReason hold { service seq reason since } beads(first: 1) { id status }';

function holds(h: GatewayHarness, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-r', '@swc-node/register', 'services/gateway/src/holds/holds.main.ts', ...args],
      { cwd: ROOT, env: { ...process.env, DATABASE_URL: h.db.url, NATS_URL: TEST_NATS_URL, GT_NAMESPACE: h.namespace } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Over 1 MB of plan: the convoy service keeps the commit in the object store. */
const largePlan = (rigId: string) => ({
  title: 'Large plan',
  defaultRigId: rigId,
  mergeMode: 'REVIEW_AND_MERGE',
  parallel: true,
  tasks: Array.from({ length: 200 }, (_, i) => ({ title: `task ${i}`, body: `${i} ${'x'.repeat(6_000)}` })),
});

describe('a convoy the dispatcher holds, as the town and the operator see it', () => {
  let h: GatewayHarness;
  let bus: Bus;
  let town: TestTown;
  let dispatcher: ServiceProcess | undefined;

  beforeAll(async () => {
    h = await GatewayHarness.start();
    bus = await connectBus({ servers: TEST_NATS_URL, namespace: h.namespace, name: 'dispatcher-holds-spec', logger: quiet });
    town = await h.createTown('dispatcher-held town');
  });
  afterAll(async () => {
    await dispatcher?.stop();
    await bus?.close();
    await h?.close();
  });

  it('given a plan the dispatcher cannot read, when it holds the convoy, then GraphQL and npm run holds show the dispatcher hold, and a retry after the fix dispatches the bead and clears it', async () => {
    const { registerRig } = await h.ok<{ registerRig: { id: string } }>(
      town.token,
      `mutation ($input: RegisterRigInput!) { registerRig(input: $input) { id } }`,
      { input: { name: 'web', gitUrl: '/srv/git/web.git', defaultBranch: 'main' } },
    );
    const commandId = randomUUID();
    const convoyId = convoyIdFor(town.id, commandId);
    const reply = await new CommandClient(bus).request<CommandReply>(
      bus.names.commands.convoy,
      { type: 'SlingBatch', commandId, townId: town.id, convoyId, actor: { kind: 'service', id: 'spec' }, data: largePlan(registerRig.id) },
      { timeoutMs: 60_000 },
    );
    expect(reply.ok).toBe(true);
    const readConvoy = async () => (await h.ok<{ convoy: HeldConvoy }>(town.token, `query ($id: ID!) { convoy(id: $id) { ${FIELDS} } }`, { id: convoyId })).convoy;
    // The read model has it; then the stored plan is lost before the dispatcher reads it.
    await eventually('the convoy in the read model', async () => (await h.gql<{ convoy: HeldConvoy | null }>(town.token, `query ($id: ID!) { convoy(id: $id) { held } }`, { id: convoyId })).data?.convoy);
    const subject = bus.names.convoyEvents(town.id, convoyId);
    const stored = await bus.jsm.streams.getMessage(bus.names.eventStream, { last_by_subj: subject });
    const { payload } = stored?.json<{ payload: { bucket: string; name: string } }>() ?? { payload: { bucket: '', name: '' } };
    const objects = await new Objm(bus.js).open(payload.bucket);
    const plan = await objects.getBlob(payload.name);
    await objects.delete(payload.name);

    dispatcher = await startService('dispatcher', { env: { NATS_URL: TEST_NATS_URL, GT_NAMESPACE: h.namespace }, readyText: 'dispatcher ready' });
    const held = await eventually('the convoy to read held by the dispatcher', async () => {
      const convoy = await readConvoy();
      return convoy.held ? { convoy, at: Date.now() } : null;
    });
    const hold = await new HoldsRegistry(bus).heldBy('dispatcher', subject);
    console.info(`dispatcher held → visible through GraphQL: ${held.at - Date.parse(hold?.since ?? '')} ms`);
    expect(held.convoy).toMatchObject({ held: true, heldReason: expect.stringMatching(/missing/), hold: { service: 'dispatcher', seq: stored?.seq, since: hold?.since } });
    expect(held.convoy.beads[0].status).toBe('OPEN');
    const history = await h.ok<{ convoy: { events: { type: string; data: { service?: string } }[] } }>(
      town.token,
      `query ($id: ID!) { convoy(id: $id) { events { type data } } }`,
      { id: convoyId },
    );
    expect(history.convoy.events.at(-1)).toEqual({ type: 'DispatchHeld', data: { service: 'dispatcher', seq: stored?.seq, reason: hold?.reason } });

    const listed = await holds(h, 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^dispatcher +${subject.replace(/\./g, '\\.')} +${stored?.seq} `, 'm'));

    await objects.putBlob({ name: payload.name }, plan);
    const retried = await holds(h, 'retry', subject);
    expect(retried).toMatchObject({ code: 0, stdout: `${subject}: dispatcher flowing again\n` });
    await eventually('the first bead dispatched', async () => (await readConvoy()).beads[0].status === 'IN_PROGRESS', { timeoutMs: 30_000 });
    expect(await readConvoy()).toMatchObject({ held: false, hold: null });
    expect((await holds(h, 'list')).stdout).toBe('no holds\n');
  }, 180_000);
});
