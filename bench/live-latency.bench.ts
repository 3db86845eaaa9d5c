/**
 * Live latency: how fast a convoy's change reaches a GraphQL subscriber, through the real convoy
 * service and gateway processes. One STAGED convoy of two independent beads (parallel) takes
 * AddDependency and RemoveDependency in turn, one at a time, sent over NATS (so a mutation's own
 * read-model wait is not in the measure). Each is timed from the convoy service's reply to the
 * arrival, at a `convoyChanged(convoyId)` subscriber (graphql-ws through @gastown/gateway-client),
 * of the ConvoyChange whose sequence is the reply's and whose events hold that decision. Rows:
 * 1 subscriber; 50 subscribers on the same convoy, each on its own websocket, as the time until
 * the last of them got the change and as the median across them.
 *
 * Baseline, same server, same run, same fan-out: a raw JetStream publish of the same commit bytes
 * with an expected last subject sequence to a scratch convoy subject (in the event stream of a
 * namespace no service reads, configured as the real one), until it is acknowledged and 1 (or 50)
 * `followStream` readers — the ordered consumer each gateway subscription reads through — have
 * yielded it: append and follow, without a decision, read models, GraphQL or websocket. The live
 * interval starts after its append (at the reply) while the baseline's includes the append, so
 * the ratio errs low, not high.
 *
 *   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register bench/live-latency.bench.ts [samples]
 */
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { CommandClient, followStream, type Bus } from '@gastown/bus';
import { beadIdFor, convoyIdFor, generateTownToken, hashTownToken, type CommandReply } from '@gastown/contracts';
import { convoyStatus, GatewayClient, watchConvoy } from '@gastown/gateway-client';
import { createTestDatabase, eventually, freePort } from '@gastown/testing';
import { bounded, percentile } from './bench.measure';
import { benchNamespace, NATS_URL, openNamespace, runBench, startServices, type Teardown } from './bench.system';

const SAMPLES = Math.min(Math.max(Number(process.argv[2] ?? 300) || 300, 10), 5000);
const FAN_OUTS = [1, 50];
/** Commands (or publishes) per row before the measured ones: connections, consumers and caches warm up. */
const WARMUP = 20;
/** Longest wait for one change before the bench gives up. */
const EVENT_WAIT_MS = 30_000;
const GLOBAL_TIMEOUT_MS = 10 * 60_000;

interface Arrival {
  at: number;
  types: readonly string[];
}

/**
 * What each of n readers received, by stream sequence, timestamped first thing in the reader's
 * callback. A sequence received twice, or a reader that fails or loses its connection (it would
 * resume, but that sample's timing would be a reconnect's), fails the bench.
 */
class Arrivals {
  private readonly received: Map<number, Arrival>[];
  private readonly waiters = new Map<number, () => void>();
  private failure: Error | undefined;

  constructor(readers: number) {
    this.received = Array.from({ length: readers }, () => new Map<number, Arrival>());
  }

  record(reader: number, seq: number, arrival: Arrival): void {
    const seen = this.received[reader];
    if (seen.has(seq)) return this.fail(new Error(`reader ${reader} received sequence ${seq} twice`));
    seen.set(seq, arrival);
    if (this.complete(seq)) this.waiters.get(seq)?.();
  }

  fail(error: Error): void {
    this.failure ??= error;
    for (const wake of this.waiters.values()) wake();
  }

  /** Every reader's arrival of `seq`, once the last of them has it. */
  async of(seq: number): Promise<Arrival[]> {
    if (!this.failure && !this.complete(seq)) {
      await bounded(EVENT_WAIT_MS, `sequence ${seq} at all ${this.received.length} readers`, (done) => this.waiters.set(seq, () => done(undefined)));
    }
    this.waiters.delete(seq);
    if (this.failure) throw this.failure;
    return this.received.map((seen) => seen.get(seq) as Arrival);
  }

  /** Each reader received exactly these sequences, nothing else. */
  expectOnly(sequences: readonly number[]): void {
    this.received.forEach((seen, reader) => {
      const extra = [...seen.keys()].filter((seq) => !sequences.includes(seq));
      if (seen.size !== sequences.length || extra.length > 0) {
        throw new Error(`reader ${reader} received ${seen.size} changes for ${sequences.length} decisions (unexpected: ${extra.join(', ') || 'none'})`);
      }
    });
  }

  private complete(seq: number): boolean {
    return this.received.every((seen) => seen.has(seq));
  }
}

/** Per measured command: when the last reader got it, and the median across readers. */
interface Measured {
  last: number[];
  median: number[];
}

function measured(): Measured {
  return { last: [], median: [] };
}

function addSample(into: Measured, waits: number[]): void {
  const sorted = [...waits].sort((a, b) => a - b);
  into.last.push(sorted[sorted.length - 1]);
  into.median.push(percentile(sorted, 50));
}

/** What stays open between rows (subscriptions, followers), closed by the teardown if a row fails. */
type Closers = Set<() => Promise<unknown>>;

async function main(teardown: Teardown): Promise<void> {
  const db = await createTestDatabase();
  teardown.add(`dropping database ${db.name}`, () => db.drop());
  const namespace = benchNamespace();
  const bus = await openNamespace(teardown, namespace, 'bench-live');
  // The baseline's own namespace: the same topology, but no gateway projecting its scratch commits.
  const scratch = await openNamespace(teardown, `${namespace}b`, 'bench-live-baseline');
  const port = await freePort();
  const env = { NATS_URL, GT_NAMESPACE: namespace, DATABASE_URL: db.url, GATEWAY_PORT: String(port) };
  await startServices(teardown, env, [{ service: 'convoy' }, { service: 'gateway' }]);
  const open: Closers = new Set();
  teardown.add('closing subscriptions and followers', () => Promise.all([...open].map((close) => close())));

  const client = new CommandClient(bus);
  const send = async (payload: object, subject = bus.names.commands.convoy): Promise<Extract<CommandReply, { ok: true }>> => {
    const reply = await client.request<CommandReply>(subject, payload);
    if (!reply.ok) throw new Error(`${(payload as { type: string }).type}: ${reply.error.code} ${reply.error.message}`);
    return reply;
  };
  const townId = randomUUID();
  const rigId = randomUUID();
  const token = generateTownToken();
  const user = { kind: 'user', id: 'bench' };
  await send({ type: 'CreateTown', commandId: randomUUID(), townId, actor: user, data: { name: 'bench', tokenHash: hashTownToken(token) } }, bus.names.commands.town);
  await send(
    { type: 'RegisterRig', commandId: randomUUID(), townId, actor: user, data: { rigId, name: 'rig', gitUrl: '/srv/rig.git', defaultBranch: 'main' } },
    bus.names.commands.town,
  );
  // STAGED and not started, its beads can gain and lose a dependency for as long as the bench runs.
  const slingId = randomUUID();
  const convoyId = convoyIdFor(townId, slingId);
  const slung = await send({
    type: 'SlingBatch',
    commandId: slingId,
    townId,
    convoyId,
    actor: user,
    data: { title: 'Live latency', defaultRigId: rigId, staged: true, parallel: true, tasks: [{ title: 'First' }, { title: 'Second' }] },
  });
  const [blocker, dependent] = [beadIdFor(convoyId, 0), beadIdFor(convoyId, 1)];
  const gateway = new GatewayClient({ url: `http://127.0.0.1:${port}/graphql`, token });
  await eventually('the gateway to show the staged convoy', async () => (await convoyStatus(gateway, convoyId)).beads.length === 2, { timeoutMs: 30_000 });

  let lastSeq = slung.seq;
  let linked = false;
  const toggle = async (): Promise<{ seq: number; event: string; replied: number }> => {
    const type = linked ? 'RemoveDependency' : 'AddDependency';
    const reply = await send({ type, commandId: randomUUID(), townId, convoyId, actor: user, data: { beadId: dependent, dependsOnBeadId: blocker } });
    const replied = performance.now();
    if (reply.duplicate || reply.seq <= lastSeq) throw new Error(`${type} appended nothing (reply seq ${reply.seq}, last seq ${lastSeq})`);
    lastSeq = reply.seq;
    linked = !linked;
    return { seq: reply.seq, event: linked ? 'DependencyAdded' : 'DependencyRemoved', replied };
  };

  const liveRow = async (subscribers: number): Promise<Measured> => {
    const arrivals = new Arrivals(subscribers);
    // From the last decision on, so nothing after it can be missed while the sockets connect.
    const subscriptions = Array.from({ length: subscribers }, (_, k) =>
      watchConvoy(
        gateway,
        convoyId,
        {
          next: (change) => arrivals.record(k, change.sequence, { at: performance.now(), types: change.events.map((e) => e.type) }),
          error: (error) => arrivals.fail(error),
          reconnecting: () => arrivals.fail(new Error(`subscriber ${k} lost its connection`)),
        },
        lastSeq,
      ),
    );
    const close = () => Promise.all(subscriptions.map((s) => s.close()));
    open.add(close);
    const result = measured();
    const sequences: number[] = [];
    try {
      for (let i = 0; i < WARMUP + SAMPLES; i++) {
        const { seq, event, replied } = await toggle();
        sequences.push(seq);
        const arrived = await arrivals.of(seq);
        const wrong = arrived.findIndex((a) => !a.types.includes(event));
        if (wrong >= 0) throw new Error(`subscriber ${wrong} got sequence ${seq} as [${arrived[wrong].types.join(', ')}], not ${event}`);
        if (i >= WARMUP) addSample(result, arrived.map((a) => a.at - replied));
      }
      arrivals.expectOnly(sequences);
    } finally {
      open.delete(close);
      await close();
    }
    return result;
  };

  // The baseline's payload: the bytes of a real AddDependency commit, read back from the stream.
  const sampleSeq = (await toggle()).seq;
  await toggle();
  const stored = await bus.jsm.streams.getMessage(bus.names.eventStream, { seq: sampleSeq });
  if (!stored) throw new Error(`commit #${sampleSeq} not found in ${bus.names.eventStream}`);
  const commitBytes = stored.data;

  const baselineRow = async (followers: number): Promise<Measured> => {
    const subject = scratch.names.convoyEvents(randomUUID(), randomUUID());
    const arrivals = new Arrivals(followers);
    const readers = await Promise.all(Array.from({ length: followers }, () => followStream(scratch, { filterSubject: subject })));
    readers.forEach((reader, k) => {
      void (async () => {
        try {
          for await (const commit of reader) arrivals.record(k, commit.seq, { at: performance.now(), types: commit.events.map((e) => e.type) });
        } catch (error) {
          arrivals.fail(error instanceof Error ? error : new Error(String(error)));
        }
      })();
    });
    const close = () => Promise.all(readers.map((reader) => reader.return()));
    open.add(close);
    const result = measured();
    const sequences: number[] = [];
    let subjectSeq = 0;
    try {
      for (let i = 0; i < WARMUP + SAMPLES; i++) {
        const started = performance.now();
        const ack = await scratch.js.publish(subject, commitBytes, { msgID: `${subject}:${randomUUID()}`, expect: { lastSubjectSequence: subjectSeq } });
        const acked = performance.now();
        subjectSeq = ack.seq;
        sequences.push(ack.seq);
        const arrived = await arrivals.of(ack.seq);
        if (i >= WARMUP) addSample(result, arrived.map((a) => Math.max(acked, a.at) - started));
      }
      arrivals.expectOnly(sequences);
    } finally {
      open.delete(close);
      await close();
    }
    return result;
  };

  const rows: { fanOut: number; baseline: Measured; live: Measured }[] = [];
  for (const fanOut of FAN_OUTS) {
    const baseline = await baselineRow(fanOut);
    const live = await liveRow(fanOut);
    rows.push({ fanOut, baseline, live });
  }
  report(bus, rows);
}

function report(bus: Bus, rows: { fanOut: number; baseline: Measured; live: Measured }[]): void {
  console.log(`live latency: 1 STAGED convoy of 2 beads, AddDependency/RemoveDependency in turn, ${SAMPLES} samples per row after ${WARMUP} warm-up, nats ${bus.nc.info?.version}, ${cpus().length} cores`);
  console.log('baseline: JetStream publish of the same commit bytes with expected subject sequence, acknowledged and yielded by every followStream reader');
  console.log('live: the convoy service\'s reply → the ConvoyChange of that sequence received by every convoyChanged(convoyId) subscriber (graphql-ws)');
  console.log('"last": when the last reader got it; "median": the median across the readers, per command');
  const series = rows.flatMap(({ fanOut, baseline, live }) =>
    fanOut === 1
      ? [{ label: '1 reader', baseline: baseline.last, live: live.last }]
      : [
          { label: `${fanOut} readers, last`, baseline: baseline.last, live: live.last },
          { label: `${fanOut} readers, median`, baseline: baseline.median, live: live.median },
        ],
  );
  for (const s of series) {
    s.baseline.sort((a, b) => a - b);
    s.live.sort((a, b) => a - b);
  }
  type Series = (typeof series)[number];
  const ms = (v: number) => v.toFixed(2);
  const at = (values: number[], p: number) => ms(percentile(values, p));
  const ratio = (s: Series, p: number) => (percentile(s.live, p) / percentile(s.baseline, p)).toFixed(1);
  const cells = [
    ['readers', (s: Series) => s.label],
    ['samples', (s: Series) => String(s.live.length)],
    ['baseline p50 ms', (s: Series) => at(s.baseline, 50)],
    ['baseline p95 ms', (s: Series) => at(s.baseline, 95)],
    ['baseline p99 ms', (s: Series) => at(s.baseline, 99)],
    ['live p50 ms', (s: Series) => at(s.live, 50)],
    ['live p95 ms', (s: Series) => at(s.live, 95)],
    ['live p99 ms', (s: Series) => at(s.live, 99)],
    ['ratio p50', (s: Series) => ratio(s, 50)],
    ['ratio p99', (s: Series) => ratio(s, 99)],
  ] as const;
  const width = Math.max(...series.map((s) => s.label.length), 'readers'.length);
  console.log(cells.map(([title], i) => (i === 0 ? title.padEnd(width) : title)).join(' | '));
  for (const s of series) console.log(cells.map(([title, value], i) => (i === 0 ? value(s).padEnd(width) : value(s).padStart(title.length))).join(' | '));
}

runBench('live-latency', GLOBAL_TIMEOUT_MS, main);
