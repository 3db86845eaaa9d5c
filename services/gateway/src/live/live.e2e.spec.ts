import { connectBus, EventStore, type Bus, type StoredCommit } from '@gastown/bus';
import { eventually, TEST_NATS_URL } from '@gastown/testing';
import { GatewayHarness, type TestTown } from '../gateway.fixtures';
import WebSocket from 'ws';
import { MAX_SUBSCRIPTIONS_PER_CONNECTION, MAX_WS_MESSAGE_BYTES, WS_UNAUTHORIZED } from '../graphql/graphql.websocket';
import { ConvoyDriver } from '../history/history.fixtures';
import { openLiveClient, Received, type LiveClient } from './live.fixtures';

interface ConvoyChange {
  convoyChanged: {
    sequence: number;
    convoyId: string;
    events: { sequence: number; index: number; type: string; summary: string; beadIds: string[] }[];
    convoy: { id: string; status: string; beads: { title: string; status: string }[] };
  };
}
interface BeadChange {
  beadChanged: { sequence: number; beadId: string; events: { type: string; beadIds: string[] }[]; bead: { title: string; status: string } };
}

const CONVOY_CHANGED = `subscription ($id: ID, $after: Float) {
  convoyChanged(convoyId: $id, afterSequence: $after) {
    sequence convoyId events { sequence index type summary beadIds } convoy { id status beads { title status } }
  }
}`;
const BEAD_CHANGED = `subscription ($id: ID!, $after: Float) {
  beadChanged(beadId: $id, afterSequence: $after) { sequence beadId events { type beadIds } bead { title status } }
}`;

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('live changes over graphql-ws', () => {
  let h: GatewayHarness;
  let bus: Bus;
  let store: EventStore;
  let town: TestTown;
  let rigId: string;
  const clients: LiveClient[] = [];

  const connect = (token: string | null) => {
    const live = openLiveClient(h.url, token);
    clients.push(live);
    return live;
  };
  const commitsOf = (convoyId: string): Promise<StoredCommit[]> => store.readSubject(bus.names.convoyEvents(town.id, convoyId));
  /** A subscription starts from the moment it is running, which its client is not told: sling until every one has seen a change. */
  const untilEverySeesChanges = (subscriptions: readonly Received<ConvoyChange>[]) =>
    eventually(
      'every subscription seeing changes',
      async () => {
        await ConvoyDriver.sling(h, town, rigId, 'Seen by all');
        return subscriptions.every((s) => s.data.length > 0);
      },
      { intervalMs: 200 },
    );
  const orderedConsumers = async () =>
    (await bus.jsm.consumers.list(bus.names.eventStream).next()).filter((c) => c.config.durable_name === undefined);

  beforeAll(async () => {
    h = await GatewayHarness.start();
    bus = await connectBus({ servers: TEST_NATS_URL, namespace: h.namespace, name: 'live-spec', logger: quiet });
    store = new EventStore(bus);
    town = await h.createTown('live town');
    const { registerRig } = await h.ok<{ registerRig: { id: string } }>(
      town.token,
      `mutation ($input: RegisterRigInput!) { registerRig(input: $input) { id } }`,
      { input: { name: 'web', gitUrl: '/srv/git/web.git', defaultBranch: 'main' } },
    );
    rigId = registerRig.id;
  });

  afterEach(async () => {
    for (const live of clients.splice(0)) await live.dispose();
  });

  afterAll(async () => {
    await bus?.close();
    await h?.close();
  });

  it('given a convoy driven from its plan to LANDED, when a client follows it, then every decision arrives once, in stream order, with the convoy at least as new', async () => {
    const driver = await ConvoyDriver.sling(h, town, rigId);
    const changes = new Received<ConvoyChange>(connect(town.token).client, CONVOY_CHANGED, { id: driver.convoy.id, after: 0 });

    await driver.fullLife(rigId);
    await changes.until('the LANDED convoy', (c) => c.convoyChanged.convoy.status === 'LANDED');

    const stored = await commitsOf(driver.convoy.id);
    const received = changes.data.map((c) => c.convoyChanged);
    expect(received.map((c) => c.sequence)).toEqual(stored.map((c) => c.seq));
    expect(received.map((c) => c.events.map((e) => e.type))).toEqual(stored.map((c) => c.events.map((e) => e.type)));
    expect(received.every((c) => c.convoyId === driver.convoy.id && c.convoy.id === driver.convoy.id)).toBe(true);
    expect(received.flatMap((c) => c.events).every((e, i, all) => i === 0 || e.sequence > all[i - 1].sequence || e.index > all[i - 1].index)).toBe(true);
    const withEvent = (type: string) => received.find((c) => c.events.some((e) => e.type === type));
    expect(withEvent('BeadFailed')?.events.find((e) => e.type === 'BeadFailed')?.summary).toBe(
      'Bead "Schema" failed after 3 attempts (exit code 1): cannot compile.',
    );
    expect(['FAILED', 'ACTIVE', 'READY_TO_LAND', 'LANDING', 'LANDED']).toContain(withEvent('ConvoyFailed')?.convoy.status);
    expect(withEvent('BeadMerged')?.convoy.beads.find((b) => b.title === 'Schema')?.status).toBe('CLOSED');
    expect(['READY_TO_LAND', 'LANDING', 'LANDED']).toContain(withEvent('ConvoyReadyToLand')?.convoy.status);
    expect(received.at(-1)?.events.map((e) => e.type)).toEqual(['RigLanded', 'ConvoyLanded']);
  });

  it('given a client that drops its connection and resubscribes after the last sequence it saw, when decisions are appended meanwhile and after, then it misses none and sees none twice', async () => {
    const driver = await ConvoyDriver.sling(h, town, rigId);
    const steps = driver.lifeSteps(rigId);
    const first = connect(town.token);
    const before = new Received<ConvoyChange>(first.client, CONVOY_CHANGED, { id: driver.convoy.id, after: 0 });
    for (const step of steps.slice(0, 5)) await step();
    const upToNow = (await commitsOf(driver.convoy.id)).at(-1)?.seq;
    await before.until('the changes so far', (c) => c.convoyChanged.sequence === upToNow);
    await first.dispose();
    const lastSeen = before.data.at(-1)?.convoyChanged.sequence;

    for (const step of steps.slice(5, 10)) await step();
    const after = new Received<ConvoyChange>(connect(town.token).client, CONVOY_CHANGED, { id: driver.convoy.id, after: lastSeen });
    for (const step of steps.slice(10)) await step();
    await after.until('the LANDED convoy', (c) => c.convoyChanged.convoy.status === 'LANDED');

    const seen = [...before.data, ...after.data].map((c) => c.convoyChanged.sequence);
    expect(seen).toEqual((await commitsOf(driver.convoy.id)).map((c) => c.seq));
    expect(after.data.length).toBeGreaterThan(steps.length - 10);
  });

  it('given a bead, when a client follows it, then only the decisions about it arrive, up to its merge', async () => {
    const driver = await ConvoyDriver.sling(h, town, rigId);
    await driver.fullLife(rigId);
    const api = driver.bead('API');

    const changes = new Received<BeadChange>(connect(town.token).client, BEAD_CHANGED, { id: api, after: 0 });
    await changes.until('the merge of API', (c) => c.beadChanged.events.some((e) => e.type === 'BeadMerged'));

    const about = (await commitsOf(driver.convoy.id)).filter((c) =>
      c.events.some((e) => JSON.stringify(e.data).includes(api)),
    );
    expect(changes.data.map((c) => c.beadChanged.sequence)).toEqual(about.map((c) => c.seq));
    expect(changes.data.every((c) => c.beadChanged.events.every((e) => e.beadIds.includes(api)))).toBe(true);
    expect(changes.data.at(-1)?.beadChanged.bead).toEqual({ title: 'API', status: 'CLOSED' });
  });

  it('given a client without a valid token, when it connects, then the socket is closed with 4401 and says why', async () => {
    const wrong = connect('gt_not-a-real-token-at-all-000000');
    const missing = connect(null);

    await eventually('both sockets closed', async () => wrong.closed() !== null && missing.closed() !== null);

    expect(wrong.closed()).toEqual({ code: WS_UNAUTHORIZED, reason: 'unknown town token' });
    expect(missing.closed()).toEqual({
      code: WS_UNAUTHORIZED,
      reason: 'missing credentials: send connectionParams { authorization: "Bearer <town token>" }',
    });
  });

  it('given a client that has not authenticated, when it sends a message over the size limit, then the socket is closed as too big and the gateway serves on', async () => {
    const socket = new WebSocket(h.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));

    socket.send(JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(MAX_WS_MESSAGE_BYTES) } }));

    expect(await closed).toBe(1009);
    await expect(h.ok<{ town: { id: string } }>(town.token, '{ town { id } }')).resolves.toEqual({ town: { id: town.id } });
  });

  it("given another town, when it subscribes to this town's convoy, then NOT_FOUND, and following its own town shows only its own convoys", async () => {
    const driver = await ConvoyDriver.sling(h, town, rigId);
    const other = await h.createTown('other town');
    const client = connect(other.token).client;

    const foreign = new Received<ConvoyChange>(client, CONVOY_CHANGED, { id: driver.convoy.id, after: 0 });
    await eventually('the refusal', async () => foreign.errors.length > 0);
    expect(foreign.errors[0]?.map((e) => e.extensions?.['code'])).toEqual(['NOT_FOUND']);
    expect(foreign.data).toEqual([]);

    const own = new Received<ConvoyChange>(client, CONVOY_CHANGED, { after: 0 });
    const { registerRig } = await h.ok<{ registerRig: { id: string } }>(
      other.token,
      `mutation ($input: RegisterRigInput!) { registerRig(input: $input) { id } }`,
      { input: { name: 'web', gitUrl: '/srv/git/web.git', defaultBranch: 'main' } },
    );
    const mine = await ConvoyDriver.sling(h, other, registerRig.id, 'Other plan');
    await driver.dispatch('Schema', 'Nux');
    await mine.dispatch('Schema', 'Nux');
    await own.until('the dispatch in its own convoy', (c) => c.convoyChanged.events.some((e) => e.type === 'BeadDispatched'));

    expect(new Set(own.data.map((c) => c.convoyChanged.convoyId))).toEqual(new Set([mine.convoy.id]));
  });

  it('given a client following convoys, when it goes away, then the stream consumer its subscriptions shared is deleted with the last of them', async () => {
    const live = connect(town.token);
    const subscriptions = [new Received<ConvoyChange>(live.client, CONVOY_CHANGED, {}), new Received<ConvoyChange>(live.client, CONVOY_CHANGED, {})];
    await untilEverySeesChanges(subscriptions);
    // An earlier test's consumers may still be going away: only this town's subject is counted.
    const ofTown = async () => (await orderedConsumers()).filter((c) => c.config.filter_subject === bus.names.townConvoyEvents(town.id));
    expect(await ofTown()).toHaveLength(1);
    subscriptions[0].stop();
    const driver = await ConvoyDriver.sling(h, town, rigId, 'Seen by the one left');
    await subscriptions[1].until('the convoy slung after the other left', (c) => c.convoyChanged.convoyId === driver.convoy.id);
    expect(await ofTown()).toHaveLength(1);

    await live.dispose();

    await eventually('no ordered consumer left', async () => (await orderedConsumers()).length === 0);
    expect(subscriptions.every((s) => s.errors.length === 0)).toBe(true);
  });

  it('given a connection with as many subscriptions as allowed, when it opens one more, then that one is refused and the others go on, all on one stream consumer', async () => {
    const client = connect(town.token).client;
    const allowed = Array.from({ length: MAX_SUBSCRIPTIONS_PER_CONNECTION }, () => new Received<ConvoyChange>(client, CONVOY_CHANGED, {}));
    const extra = new Received<ConvoyChange>(client, CONVOY_CHANGED, {});
    await eventually('the refusal', async () => extra.errors.length > 0);

    expect(extra.errors[0]?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(extra.errors[0]?.[0].message).toContain(`at most ${MAX_SUBSCRIPTIONS_PER_CONNECTION}`);
    await untilEverySeesChanges(allowed);
    expect(allowed.every((a) => a.errors.length === 0)).toBe(true);
    // The town's subscriptions of one subject share one follower of the stream.
    expect(await orderedConsumers()).toHaveLength(1);
  });
});
