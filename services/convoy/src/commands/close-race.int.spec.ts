import { randomUUID } from 'node:crypto';
import { Bus, connectBus, deleteTopology, ensureTopology, EventStore } from '@gastown/bus';
import {
  CommandReply,
  CommandSuccess,
  convoyIdFor,
  generateTownToken,
  hashTownToken,
  type EventOf,
  type GastownEvent,
} from '@gastown/contracts';
import { TEST_NATS_URL, testNamespace } from '@gastown/testing';
import { ConvoyCommandService } from './convoy-command.service';

const actor = { kind: 'user' as const, id: 'close-race-spec' };
const ROUNDS = 25;
const TERMINAL = new Set(['ConvoyLanded', 'ConvoyCancelled']);

/** Small deterministic generator: a failing round is replayed by its seed alone. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex40 = (rng: () => number) => Array.from({ length: 40 }, () => Math.floor(rng() * 16).toString(16)).join('');

function ok(reply: CommandReply, what: string): CommandSuccess {
  if (!reply.ok) throw new Error(`${what}: expected success, got ${reply.error.code}: ${reply.error.message}`);
  return reply;
}

describe('closeConvoy racing the last merge, across two replicas', () => {
  const config = { natsUrl: TEST_NATS_URL, namespace: testNamespace(), maxTasks: 100, maxAttempts: 3, maxLandingAttempts: 3 };
  const townId = randomUUID();
  const rigId = randomUUID();
  /** Each replica has its own connection and its own aggregate cache, as two service processes would. */
  const buses: Bus[] = [];
  let replicas: ConvoyCommandService[];
  let store: EventStore;

  beforeAll(async () => {
    for (const name of ['close-race-a', 'close-race-b']) {
      buses.push(await connectBus({ servers: TEST_NATS_URL, namespace: config.namespace, name }));
    }
    await ensureTopology(buses[0]);
    replicas = buses.map((bus) => new ConvoyCommandService(bus, config));
    store = new EventStore(buses[0]);
    const town = { townId, actor };
    ok(await replicas[0].townCommand({ ...town, type: 'CreateTown', commandId: randomUUID(), data: { name: 'acme', tokenHash: hashTownToken(generateTownToken()) } }), 'CreateTown');
    ok(await replicas[0].townCommand({ ...town, type: 'RegisterRig', commandId: randomUUID(), data: { rigId, name: 'web', gitUrl: '/srv/git/web.git', defaultBranch: 'main' } }), 'RegisterRig');
  });

  afterAll(async () => {
    if (buses[0]) await deleteTopology(buses[0]);
    await Promise.all(buses.map((bus) => bus.close()));
  });

  const onConvoy = (convoyId: string, type: string, data: object, commandId: string = randomUUID()) => ({
    type,
    commandId,
    townId,
    convoyId,
    actor,
    data,
  });

  /**
   * A REVIEW_AND_MERGE convoy whose beads are all merged but the last, which is IN_REVIEW. The
   * seed picks the replica for each step, so either cache may be current, stale or empty when
   * the race starts.
   */
  async function convoyAwaitingLastMerge(rng: () => number, beadCount: number) {
    const pick = () => replicas[rng() < 0.5 ? 0 : 1];
    const commandId = randomUUID();
    const convoyId = convoyIdFor(townId, commandId);
    const created = ok(
      await pick().convoyCommand({
        type: 'SlingBatch',
        commandId,
        townId,
        convoyId,
        actor,
        data: {
          title: 'Race me',
          defaultRigId: rigId,
          mergeMode: 'REVIEW_AND_MERGE',
          parallel: true,
          tasks: Array.from({ length: beadCount }, (_, i) => ({ title: `task ${i}` })),
        },
      }),
      'SlingBatch',
    );
    const beadIds = created.result['beadIds'] as string[];
    for (const [i, beadId] of beadIds.entries()) {
      const agent = { id: `agent-${i}`, name: `Polecat ${i}` };
      const dispatched = ok(await pick().convoyCommand(onConvoy(convoyId, 'DispatchBead', { beadId, agent })), 'DispatchBead');
      const { attempt, branch } = dispatched.result as { attempt: number; branch: string };
      ok(await pick().convoyCommand(onConvoy(convoyId, 'SubmitBead', { beadId, attempt, branch, headCommit: hex40(rng) })), 'SubmitBead');
      if (i < beadIds.length - 1) {
        ok(await pick().convoyCommand(onConvoy(convoyId, 'RecordBeadMerged', { beadId, attempt, mergeCommit: hex40(rng) })), 'RecordBeadMerged');
      }
    }
    return { convoyId, subject: created.subject, lastBeadId: beadIds[beadIds.length - 1] };
  }

  it(`given the last bead's merge and a close sent at once through two replicas, when raced ${ROUNDS} seeded times, then exactly one wins each time, the loser hears CONFLICT, and nothing follows the terminal event`, async () => {
    const outcomes = { LANDED: 0, CANCELLED: 0 };
    for (let seed = 1; seed <= ROUNDS; seed++) {
      const rng = seeded(seed);
      const round = `seed ${seed}`;
      const { convoyId, subject, lastBeadId } = await convoyAwaitingLastMerge(rng, 1 + Math.floor(rng() * 3));
      const mergeVia = rng() < 0.5 ? 0 : 1;
      const mergeCommit = hex40(rng);
      const merge = onConvoy(convoyId, 'RecordBeadMerged', { beadId: lastBeadId, attempt: 1, mergeCommit });
      const close = onConvoy(convoyId, 'CloseConvoy', { reason: 'plans changed' });
      const send = {
        merge: () => replicas[mergeVia].convoyCommand(merge),
        close: () => replicas[1 - mergeVia].convoyCommand(close),
      };
      // Both calls start before either awaits anything; the seed only decides which one starts first.
      const [first, second] = rng() < 0.5 ? (['merge', 'close'] as const) : (['close', 'merge'] as const);
      const started = { [first]: send[first](), [second]: send[second]() } as Record<'merge' | 'close', Promise<CommandReply>>;
      const [mergeReply, closeReply] = await Promise.all([started.merge, started.close]);

      const winners = [mergeReply, closeReply].filter((r) => r.ok);
      expect({ round, winners: winners.length }).toEqual({ round, winners: 1 });
      const landed = mergeReply.ok;
      const loser = landed ? closeReply : mergeReply;
      const endState = landed ? 'LANDED' : 'CANCELLED';
      expect({ round, loser }).toEqual({
        round,
        loser: {
          ok: false,
          error: expect.objectContaining({ code: 'CONFLICT', message: expect.stringMatching(
            landed
              ? /is LANDED: it accepts no CloseConvoy$/
              : // A merge nobody claimed before the close is refused; the message says so (close means closed).
                /is CANCELLED and bead "[^"]+" had no merge under way when it was closed: it accepts no RecordBeadMerged$/,
          ) }),
        },
      });
      outcomes[endState]++;

      const commits = await store.readSubject(subject);
      const events: GastownEvent[] = commits.flatMap((c) => c.events);
      const terminalAt = events.findIndex((e) => TERMINAL.has(e.type));
      // The terminal decision is the subject's last commit, and the terminal event ends it
      // (BeadCancelled belongs to the same decision and comes after ConvoyCancelled).
      expect({ round, terminalCommit: commits.findIndex((c) => c.events.some((e) => TERMINAL.has(e.type))) }).toEqual({
        round,
        terminalCommit: commits.length - 1,
      });
      expect({ round, terminals: events.filter((e) => TERMINAL.has(e.type)).map((e) => e.type) }).toEqual({
        round,
        terminals: [landed ? 'ConvoyLanded' : 'ConvoyCancelled'],
      });
      const lastMerge = events.filter((e): e is EventOf<'BeadMerged'> => e.type === 'BeadMerged' && e.data.beadId === lastBeadId);
      const cancelledBeads = events.filter((e): e is EventOf<'BeadCancelled'> => e.type === 'BeadCancelled');
      if (landed) {
        expect({ round, merges: lastMerge.length, cancelledBeads, after: events.slice(terminalAt + 1) }).toEqual({
          round,
          merges: 1,
          cancelledBeads: [],
          after: [],
        });
        expect((events[terminalAt] as EventOf<'ConvoyLanded'>).data.landings).toEqual([{ rigId, commit: mergeCommit }]);
      } else {
        const cancelled = events[terminalAt] as EventOf<'ConvoyCancelled'>;
        expect({ round, merges: lastMerge.length, dropReviews: cancelled.data.dropReviews }).toEqual({
          round,
          merges: 0,
          dropReviews: [lastBeadId],
        });
        expect({ round, after: events.slice(terminalAt + 1).map((e) => [e.type, e.data]) }).toEqual({
          round,
          after: [['BeadCancelled', { beadId: lastBeadId, previousStatus: 'IN_REVIEW' }]],
        });
      }

      // The loser retried with its command id, through either replica or a cold one, is refused
      // again and appends nothing: its refusal is final, not an artefact of a stale cache.
      const lastSeq = commits[commits.length - 1].seq;
      const losing = landed ? close : merge;
      for (const replica of [...replicas, new ConvoyCommandService(buses[0], config)]) {
        expect({ round, retry: await replica.convoyCommand(losing) }).toEqual({
          round,
          retry: { ok: false, error: expect.objectContaining({ code: 'CONFLICT' }) },
        });
      }
      expect({ round, lastSeq: await store.lastSeq(subject) }).toEqual({ round, lastSeq });
    }
    // Both orders of winning occur, so both branches above were exercised by this run.
    expect(outcomes.LANDED).toBeGreaterThan(0);
    expect(outcomes.CANCELLED).toBeGreaterThan(0);
  });
});
