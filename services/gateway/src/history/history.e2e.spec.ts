import { connectBus, EventStore, type Bus } from '@gastown/bus';
import { TEST_NATS_URL } from '@gastown/testing';
import { codesOf, GatewayHarness, type TestTown } from '../gateway.fixtures';
import { FixtureClock, FixtureWriter, TownFixture } from '../projection/projection.fixtures';
import { ReadModelWaiter } from '../projection/read-model.waiter';
import { ConvoyDriver } from './history.fixtures';

interface EventView {
  sequence: number;
  index: number;
  type: string;
  occurredAt: string;
  actor: { kind: string; id: string };
  convoyId: string;
  beadIds: string[];
  summary: string;
  data: Record<string, unknown>;
}

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

const EVENT_FIELDS = 'sequence index type occurredAt actor { kind id } convoyId beadIds summary data';
const CONVOY_EVENTS = `query ($id: ID!, $after: Float, $first: Int) { convoy(id: $id) { events(afterSequence: $after, first: $first) { ${EVENT_FIELDS} } } }`;
const BEAD_EVENTS = `query ($id: ID!, $after: Float) { bead(id: $id) { events(afterSequence: $after) { ${EVENT_FIELDS} } } }`;

describe('convoy and bead history over GraphQL', () => {
  let h: GatewayHarness;
  let bus: Bus;
  let town: TestTown;
  let rigId: string;
  let driver: ConvoyDriver;
  let history: EventView[];

  const convoyEvents = async (variables: { after?: number; first?: number } = {}) =>
    (await h.ok<{ convoy: { events: EventView[] } }>(town.token, CONVOY_EVENTS, { id: driver.convoy.id, ...variables })).convoy.events;

  beforeAll(async () => {
    h = await GatewayHarness.start();
    bus = await connectBus({ servers: TEST_NATS_URL, namespace: h.namespace, name: 'history-spec', logger: quiet });
    town = await h.createTown('history town');
    const { registerRig } = await h.ok<{ registerRig: { id: string } }>(
      town.token,
      `mutation ($input: RegisterRigInput!) { registerRig(input: $input) { id } }`,
      { input: { name: 'web', gitUrl: '/srv/git/web.git', defaultBranch: 'main' } },
    );
    rigId = registerRig.id;
    driver = await ConvoyDriver.sling(h, town, rigId);
    await driver.fullLife(rigId);
    history = await convoyEvents();
  });

  afterAll(async () => {
    await bus?.close();
    await h?.close();
  });

  it('given a convoy that went through rework, failure, hold, retry and landing, when its history is read, then it is every stored event in stream order', async () => {
    const commits = await new EventStore(bus).readSubject(bus.names.convoyEvents(town.id, driver.convoy.id));
    const stored = commits.flatMap((commit) => commit.events.map((event, index) => [commit.seq, index, event.type]));

    expect(history.map((e) => [e.sequence, e.index, e.type])).toEqual(stored);
    expect(history.every((e) => e.convoyId === driver.convoy.id)).toBe(true);
    expect(history.at(-1)?.type).toBe('ConvoyLanded');
  });

  it('given that convoy, when its sequence is read, then it is the sequence of its last stored decision, the point to follow on from', async () => {
    const commits = await new EventStore(bus).readSubject(bus.names.convoyEvents(town.id, driver.convoy.id));
    const { convoy } = await h.ok<{ convoy: { sequence: number } }>(town.token, 'query ($id: ID!) { convoy(id: $id) { sequence } }', {
      id: driver.convoy.id,
    });

    expect(convoy.sequence).toBe(commits.at(-1)?.seq);
  });

  it('given that history, when each decision is summarized, then the sentences say who took which bead and why it came back, failed, was held and landed', () => {
    const summaries = history.map((e) => e.summary);

    expect(summaries).toEqual(
      expect.arrayContaining([
        'Nux took bead "Schema" (attempt 1).',
        `Nux submitted bead "Schema" for review (attempt 1, head ${String(history.find((e) => e.type === 'BeadSubmitted')?.data['headCommit']).slice(0, 12)}, exit code 0).`,
        'Review sent bead "Schema" back for rework (attempt 1 by Nux): tests fail.',
        'Nux took bead "Schema" (attempt 2) after the previous attempt ended with: tests fail.',
        'Attempt 2 of bead "Schema" by Nux failed (exit code 1): the build is red.',
        'Bead "Schema" failed after 3 attempts (exit code 1): cannot compile.',
        'Bead "API" is on hold because of upstream bead "Schema" (held by failed bead "Schema").',
        'Bead "Schema" was reopened for another attempt.',
        'Bead "API" is no longer on hold.',
        'Toast took bead "API" (attempt 1).',
        'Every bead is merged: the convoy is ready to land.',
        'Bead "API" is ready to be dispatched.',
      ]),
    );
    const landed = history.find((e) => e.type === 'ConvoyLanded');
    expect(landed?.summary).toMatch(/^The convoy landed: rig "web" at [0-9a-f]{12}\.$/);
    const order = ['BeadReworkRequested', 'BeadAttemptFailed', 'BeadFailed', 'BeadsHeld', 'BeadRetried', 'BeadsReleased', 'BeadMerged', 'ConvoyLanded'];
    const positions = order.map((type) => history.findIndex((e) => e.type === type));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });

  it('given that history, then each event carries its actor, time, beads and upcast payload', () => {
    const dispatch = history.find((e) => e.type === 'BeadDispatched');
    const failed = history.find((e) => e.type === 'BeadAttemptFailed');

    expect(dispatch).toMatchObject({
      actor: { kind: 'service', id: 'gateway-test' },
      beadIds: [driver.bead('Schema')],
      data: { beadId: driver.bead('Schema'), attempt: 1, agent: { name: 'Nux' } },
    });
    expect(new Date(String(dispatch?.occurredAt)).getTime()).not.toBeNaN();
    expect(failed?.data).toMatchObject({ reason: 'the build is red', agentResult: { exitCode: 1, outputTail: 'the build is red\n' } });
    expect(history.find((e) => e.type === 'ConvoyCreated')?.beadIds).toEqual([]);
  });

  it('given a bead, when its events are read, then they are exactly the events about it, in order', async () => {
    const api = driver.bead('API');

    const { bead } = await h.ok<{ bead: { events: EventView[] } }>(town.token, BEAD_EVENTS, { id: api });

    expect(bead.events.map((e) => [e.sequence, e.index])).toEqual(history.filter((e) => e.beadIds.includes(api)).map((e) => [e.sequence, e.index]));
    expect(bead.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['BeadCreated', 'BeadsHeld', 'BeadsReleased', 'BeadDispatched', 'BeadMerged']),
    );
    expect(bead.events.some((e) => e.type === 'BeadReworkRequested')).toBe(false);
  });

  it('given pages smaller than a decision, when the history is read page by page after the last sequence seen, then nothing is lost or repeated', async () => {
    const pages: EventView[][] = [];
    let after = 0;
    for (;;) {
      const page = await convoyEvents({ after, first: 3 });
      if (page.length === 0) break;
      pages.push(page);
      after = page[page.length - 1].sequence;
    }

    expect(pages.flat().map((e) => [e.sequence, e.index])).toEqual(history.map((e) => [e.sequence, e.index]));
    // The plan is one decision of four events: it comes whole although the page holds three.
    expect(pages[0].map((e) => e.type)).toEqual(['ConvoyCreated', 'BeadCreated', 'BeadCreated', 'BeadsBecameReady']);
  });

  it('given an event stored in an older version, when the history is read, then its data is in the latest version and it is summarized', async () => {
    const convoy = new TownFixture(h.namespace, new FixtureClock(), town.id).convoy({ defaultRigId: rigId });
    const created = convoy.created([{ title: 'Old bead' }]);
    const submitted = convoy.submitted(0);
    const { agentResult: _, ...v1Data } = submitted.events[1].data as Record<string, unknown>;
    submitted.events[1] = { ...submitted.events[1], schemaVersion: 1, data: v1Data } as (typeof submitted.events)[number];
    const writer = new FixtureWriter(new EventStore(bus), bus);
    const [, , seq] = await writer.appendAll([created, convoy.dispatched(0), submitted]);
    await h.gateway.app.get(ReadModelWaiter).waitFor(convoy.subject, seq);

    const { convoy: read } = await h.ok<{ convoy: { events: EventView[] } }>(town.token, CONVOY_EVENTS, { id: convoy.convoyId });

    const event = read.events.find((e) => e.type === 'BeadSubmitted');
    expect(event?.data).toEqual({ ...v1Data, agentResult: null });
    expect(event?.summary).toMatch(/^polecat-0 submitted bead "Old bead" for review \(attempt 1, head [0-9a-f]{12}\)\.$/);
  });

  it('given a page size out of range, when the history is read, then BAD_USER_INPUT names first', async () => {
    const response = await h.gql(town.token, CONVOY_EVENTS, { id: driver.convoy.id, first: 0 });

    expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors?.[0].message).toMatch(/^first must be between 1 and 1000/);
  });

  it('given another town, when it asks for the bead, then it is not found and sees no history', async () => {
    const other = await h.createTown('nosy town');

    const response = await h.gql(other.token, BEAD_EVENTS, { id: driver.bead('API') });

    expect(codesOf(response)).toEqual(['NOT_FOUND']);
  });
});
