import { createHash, randomUUID } from 'node:crypto';
import { eventually } from '@gastown/testing';
import { codesOf, GatewayHarness, type TestTown } from '../gateway.fixtures';
import { ConvoyDriver, type SlungConvoy } from '../history/history.fixtures';
import { openLiveClient, Received, type LiveClient } from '../live/live.fixtures';

const sha = (text: string) => createHash('sha1').update(text).digest('hex');

interface Entry {
  position: number;
  bead: { id: string; title: string };
  status: string;
  batch: { id: string; speculativeOn: string | null; checkRuns: number } | null;
  submittedAt: string;
  startedAt: string | null;
}
interface QueueChange {
  mergeQueueChanged: { sequence: number | null; rigId: string; entries: Entry[] };
}

const ENTRY = 'position bead { id title } status batch { id speculativeOn checkRuns } submittedAt startedAt';
const RIG_QUEUE = `query ($id: ID!) { rig(id: $id) { id mergeQueue { ${ENTRY} } } }`;
const QUEUE_CHANGED = `subscription ($rigId: ID!) { mergeQueueChanged(rigId: $rigId) { sequence rigId entries { ${ENTRY} } } }`;
const REGISTER = `mutation ($input: RegisterRigInput!) {
  registerRig(input: $input) { id config { mergeBatchMax speculativeDepth checkConcurrency retryFlakyChecks } }
}`;

describe('merge queue over GraphQL', () => {
  let h: GatewayHarness;
  let town: TestTown;
  let rigId: string;
  const clients: LiveClient[] = [];

  const subscribe = (token: string, variables: Record<string, unknown>) => {
    const live = openLiveClient(h.url, token);
    clients.push(live);
    return new Received<QueueChange>(live.client, QUEUE_CHANGED, variables);
  };

  /** Three independent beads on the rig, each dispatched and handed in, in plan order. */
  async function handedIn(owner: TestTown, rig: string, title: string): Promise<ConvoyDriver> {
    const { slingBatch } = await h.ok<{ slingBatch: SlungConvoy }>(
      owner.token,
      `mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { id beads { id title } } }`,
      { input: { title, defaultRigId: rig, parallel: true, tasks: [{ title: 'Schema' }, { title: 'API' }, { title: 'Docs' }] } },
    );
    const driver = new ConvoyDriver(h, owner, slingBatch);
    for (const bead of ['Schema', 'API', 'Docs']) {
      await driver.dispatch(bead, 'Nux');
      await driver.submit(bead);
    }
    return driver;
  }

  const batchCommand = (owner: TestTown, driver: ConvoyDriver, type: string, data: Record<string, unknown>) =>
    h.convoyCommand(owner.id, driver.convoy.id, { type, data });
  const startBatch = (owner: TestTown, rig: string, driver: ConvoyDriver, batchId: string, titles: string[], speculativeOn?: string) =>
    batchCommand(owner, driver, 'StartMergeBatch', {
      batchId,
      rigId: rig,
      baseCommit: sha(`base ${batchId}`),
      ...(speculativeOn ? { speculativeOn } : {}),
      beads: titles.map((title) => ({ beadId: driver.bead(title), attempt: 1, mergeCommit: sha(`merge ${title} ${batchId}`) })),
    });

  beforeAll(async () => {
    h = await GatewayHarness.start();
    town = await h.createTown('queue town');
    const { registerRig } = await h.ok<{ registerRig: { id: string } }>(town.token, REGISTER, {
      input: { name: 'web', gitUrl: '/srv/git/web.git', defaultBranch: 'main' },
    });
    rigId = registerRig.id;
  });

  afterEach(async () => {
    for (const live of clients.splice(0)) await live.dispose();
  });

  afterAll(async () => {
    await h?.close();
  });

  it('given a rig registered with merge queue settings, then the rig shows them, the others at their defaults', async () => {
    const { registerRig } = await h.ok<{ registerRig: { config: Record<string, unknown> } }>(town.token, REGISTER, {
      input: { name: 'api', gitUrl: '/srv/git/api.git', defaultBranch: 'main', config: { mergeBatchMax: 4, retryFlakyChecks: true } },
    });

    expect(registerRig.config).toEqual({ mergeBatchMax: 4, speculativeDepth: 2, checkConcurrency: 2, retryFlakyChecks: true });
  });

  it('given beads handed in and two batches, one built on the other, when the rig is queried, then the queue lists them in line with their batches', async () => {
    const driver = await handedIn(town, rigId, 'Queued');
    const first = randomUUID();
    const second = randomUUID();
    await startBatch(town, rigId, driver, first, ['Schema', 'API']);
    await startBatch(town, rigId, driver, second, ['Docs'], first);

    const { rig } = await h.ok<{ rig: { mergeQueue: Entry[] } }>(town.token, RIG_QUEUE, { id: rigId });

    const mine = rig.mergeQueue.filter((e) => driver.convoy.beads.some((b) => b.id === e.bead.id));
    expect(mine.map((e) => [e.bead.title, e.status, e.batch])).toEqual([
      ['Schema', 'CHECKING', { id: first, speculativeOn: null, checkRuns: 0 }],
      ['API', 'CHECKING', { id: first, speculativeOn: null, checkRuns: 0 }],
      ['Docs', 'CHECKING', { id: second, speculativeOn: first, checkRuns: 0 }],
    ]);
    expect(rig.mergeQueue.map((e) => e.position)).toEqual(rig.mergeQueue.map((_, i) => i + 1));
    expect(mine.every((e) => e.startedAt !== null && Date.parse(e.startedAt) >= Date.parse(e.submittedAt))).toBe(true);
  });

  it('given a client following the queue, when a batch goes red, is split and the culprit sent back, then it gets the queue now and after each of those decisions', async () => {
    const driver = await handedIn(town, rigId, 'Followed');
    const batch = randomUUID();
    await startBatch(town, rigId, driver, batch, ['Schema', 'API', 'Docs']);
    const changes = subscribe(town.token, { rigId });
    const ofConvoy = (change: QueueChange) => change.mergeQueueChanged.entries.filter((e) => driver.convoy.beads.some((b) => b.id === e.bead.id));

    const now = await changes.until('the queue as it is', (c) => c.mergeQueueChanged.sequence === null);
    expect(ofConvoy(now).map((e) => e.status)).toEqual(['CHECKING', 'CHECKING', 'CHECKING']);

    await batchCommand(town, driver, 'RecordMergeBatchCheck', { batchId: batch, run: 1, beadCount: 3, outcome: 'FAILED', durationMs: 1500, reason: 'check "test" failed' });
    const red = await changes.until('the red batch', (c) => ofConvoy(c).some((e) => e.status === 'BISECTING'));
    expect(ofConvoy(red).map((e) => [e.status, e.batch?.checkRuns])).toEqual([
      ['BISECTING', 1],
      ['BISECTING', 1],
      ['BISECTING', 1],
    ]);

    await batchCommand(town, driver, 'RecordMergeBatchCheck', { batchId: batch, run: 2, beadCount: 1, outcome: 'PASSED', durationMs: 900 });
    await batchCommand(town, driver, 'RecordBeadMerged', { beadId: driver.bead('Schema'), attempt: 1, mergeCommit: sha(`merge Schema ${batch}`), batchId: batch });
    await driver.rework('API', 'breaks check "test" in its merge batch');
    await batchCommand(town, driver, 'EndMergeBatch', { batchId: batch, outcome: 'SPLIT', mergedCount: 1, culpritBeadId: driver.bead('API'), checkRuns: 2 });
    const split = await changes.until('the split batch', (c) => c.mergeQueueChanged.sequence !== null && ofConvoy(c).every((e) => e.batch === null));

    expect(ofConvoy(split).map((e) => [e.bead.title, e.status])).toEqual([['Docs', 'WAITING']]);
    expect(split.mergeQueueChanged.rigId).toBe(rigId);
    const sequences = changes.data.map((c) => c.mergeQueueChanged.sequence).filter((s): s is number => s !== null);
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    expect(new Set(sequences).size).toBe(sequences.length);
    expect(changes.errors).toEqual([]);
  });

  it("given a selection that could cost more per change than the town's query budget holds, when subscribed, then it is refused as too costly before anything is sent", async () => {
    const live = openLiveClient(h.url, town.token);
    clients.push(live);
    // Each page of 1,000 entries with their beads is priced 2,000 objects, whatever the queue holds now.
    const pages = Array.from({ length: 30 }, (_, i) => `p${i}: entries(first: 1000) { bead { id } }`).join(' ');
    const costly = new Received<QueueChange>(live.client, `subscription ($rigId: ID!) { mergeQueueChanged(rigId: $rigId) { ${pages} } }`, { rigId });

    await eventually('the refusal', async () => costly.errors.length > 0);
    expect(costly.errors[0]?.map((e) => e.extensions?.['code'])).toEqual(['QUERY_TOO_COSTLY']);
    expect(costly.data).toEqual([]);
  });

  it("given another town that knows this town's rig id, when it asks for the rig's queue or follows it, then it is answered exactly as for a rig that does not exist", async () => {
    await handedIn(town, rigId, 'Secret plan');
    const intruder = await h.createTown('intruder town');
    const missing = randomUUID();

    const foreign = await h.gql(intruder.token, RIG_QUEUE, { id: rigId });
    const absent = await h.gql(intruder.token, RIG_QUEUE, { id: missing });

    expect(codesOf(foreign)).toEqual(['NOT_FOUND']);
    expect(foreign.data).toEqual(absent.data);
    expect(foreign.errors?.map((e) => e.message.replace(rigId, '<id>'))).toEqual(absent.errors?.map((e) => e.message.replace(missing, '<id>')));
    expect(JSON.stringify(foreign)).not.toContain('Schema');

    const followForeign = subscribe(intruder.token, { rigId });
    const followAbsent = subscribe(intruder.token, { rigId: missing });
    await eventually('both refusals', async () => followForeign.errors.length > 0 && followAbsent.errors.length > 0);
    expect(followForeign.data).toEqual([]);
    const shape = (errors: typeof followForeign.errors, id: string) => errors.map((list) => list?.map((e) => [e.message.replace(id, '<id>'), e.extensions?.['code']]));
    expect(shape(followForeign.errors, rigId)).toEqual(shape(followAbsent.errors, missing));
  });

  it("given another town following its own rig, when this town's queue changes, then it is sent nothing of it", async () => {
    const other = await h.createTown('neighbour town');
    const { registerRig } = await h.ok<{ registerRig: { id: string } }>(other.token, REGISTER, {
      input: { name: 'web', gitUrl: '/srv/git/web.git', defaultBranch: 'main' },
    });
    const theirs = subscribe(other.token, { rigId: registerRig.id });
    await theirs.until('their empty queue', (c) => c.mergeQueueChanged.sequence === null);

    await handedIn(town, rigId, 'Not theirs');
    const own = await handedIn(other, registerRig.id, 'Theirs');
    const seen = await theirs.until('their own beads', (c) => c.mergeQueueChanged.entries.length === 3);

    expect(seen.mergeQueueChanged.entries.map((e) => e.bead.id).sort()).toEqual(own.convoy.beads.map((b) => b.id).sort());
    expect(theirs.data.every((c) => c.mergeQueueChanged.rigId === registerRig.id && c.mergeQueueChanged.entries.every((e) => own.convoy.beads.some((b) => b.id === e.bead.id)))).toBe(true);
  });
});
