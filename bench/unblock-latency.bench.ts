/**
 * Unblock latency: from a blocker's merge being recorded to its dependent's dispatch, with 100
 * active convoys, through the real convoy service and dispatcher processes. The bench plays the
 * git-runner itself: it submits every dispatched bead (so no bead holds a polecat slot) and, for
 * each measured link, records the blocker merged (RecordBeadMerged) and times from that reply to
 * the moment a core subscription on the event subjects sees the dependent's BeadDispatched.
 *
 * Baseline, same server, same run, same in-flight count: a raw JetStream publish with an expected
 * subject sequence and a message id (what one decision's append is), until it is acknowledged and
 * a core subscriber has seen the message. The ratio is what the dispatcher's decision path (follow
 * the stream, plan, DispatchBead, decide, append) costs over the bare transport of one append.
 * The last columns give the same interval on the server's clock: the stored timestamps of the
 * BeadMerged and the dependent's BeadDispatched commits.
 *
 *   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register bench/unblock-latency.bench.ts [convoys]
 */
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { StorageType } from '@nats-io/jetstream';
import { CommandClient, type Bus } from '@gastown/bus';
import { beadIdFor, commandIds, convoyIdFor, generateTownToken, hashTownToken, type CommandReply } from '@gastown/contracts';
import { bounded, percentile } from './bench.measure';
import { benchNamespace, hex, NATS_URL, openNamespace, pool, runBench, startServices, type Teardown } from './bench.system';

const CONVOYS = Math.min(Math.max(Number(process.argv[2] ?? 100) || 100, 1), 1000);
/** Independent chains per convoy, each A → B → C. */
const CHAINS = 2;
/** Merges in flight per row; row r measures link r+1 of every chain, so each row has CONVOYS × CHAINS samples. */
const ROWS = [1, 16];
const CHAIN_LENGTH = ROWS.length + 1;
const MAX_POLECATS = 64;
const TOWN_CAP = 10_000;
const BASELINE_WARMUP = 100;
const SUBMIT_ATTEMPTS = 200;
/** Longest wait for one event before the bench gives up. */
const EVENT_WAIT_MS = 30_000;
const GLOBAL_TIMEOUT_MS = 10 * 60_000;

const decoder = new TextDecoder();
const actor = { kind: 'service', id: 'bench-git-runner' };

interface Dispatched {
  at: number;
  branch: string;
  /** The commit's expected last subject sequence: tells a stored commit from a refused append. */
  prevSeq: number;
}

interface WireEvent {
  type?: string;
  data?: { beadId?: string; attempt?: number; branch?: string };
}

/**
 * Arrival times of BeadDispatched (attempt 1) and of baseline messages, timestamped first thing in
 * the callback. A core subscriber also receives appends the stream refused (a wrong expected
 * sequence: the convoy service then re-decides and appends again), so every sighting is kept
 * and the one of the stored commit is picked afterwards by its prevSeq.
 */
class Observer {
  private readonly dispatched = new Map<string, Dispatched[]>();
  private readonly dispatchWaiters = new Map<string, (seen: Dispatched) => void>();
  private readonly baselineWaiters = new Map<string, (at: number) => void>();
  private anyDispatch: (() => void)[] = [];
  /** The bytes of one real BeadDispatched commit, the baseline's payload. */
  sample: Uint8Array | undefined;

  onEvent(data: Uint8Array): void {
    const at = performance.now();
    let commit: { prevSeq?: number; events?: unknown };
    try {
      commit = JSON.parse(decoder.decode(data)) as typeof commit;
    } catch {
      return;
    }
    if (!Array.isArray(commit.events) || typeof commit.prevSeq !== 'number') return;
    for (const event of commit.events as WireEvent[]) {
      const { beadId, attempt, branch } = event.data ?? {};
      if (event.type !== 'BeadDispatched' || !beadId || attempt !== 1 || !branch) continue;
      const seen = { at, branch, prevSeq: commit.prevSeq };
      const sightings = this.dispatched.get(beadId) ?? [];
      sightings.push(seen);
      this.dispatched.set(beadId, sightings);
      this.sample ??= data;
      this.dispatchWaiters.get(beadId)?.(seen);
      this.dispatchWaiters.delete(beadId);
      for (const wake of this.anyDispatch.splice(0)) wake();
    }
  }

  onBaseline(subject: string): void {
    const at = performance.now();
    this.baselineWaiters.get(subject)?.(at);
    this.baselineWaiters.delete(subject);
  }

  /** The first sighting of a bead's dispatch (possibly of an append that was then refused). */
  seen(beadId: string): Dispatched | undefined {
    return this.dispatched.get(beadId)?.[0];
  }

  sightings(beadId: string): readonly Dispatched[] {
    return this.dispatched.get(beadId) ?? [];
  }

  dispatchOf(beadId: string): Promise<Dispatched> {
    const seen = this.seen(beadId);
    if (seen) return Promise.resolve(seen);
    return bounded(EVENT_WAIT_MS, `the BeadDispatched of bead ${beadId}`, (done) => this.dispatchWaiters.set(beadId, done));
  }

  /** Resolves at the next BeadDispatched of any bead. */
  nextDispatch(): Promise<void> {
    return bounded(EVENT_WAIT_MS, 'any BeadDispatched', (done) => this.anyDispatch.push(() => done(undefined)));
  }

  baselineOf(subject: string): Promise<number> {
    return bounded(EVENT_WAIT_MS, `the baseline message on ${subject}`, (done) => this.baselineWaiters.set(subject, done));
  }
}

interface Link {
  convoyId: string;
  blocker: string;
  dependent: string;
  /** When the RecordBeadMerged reply arrived (performance.now()). */
  recorded: number;
}

interface RowResult {
  inFlight: number;
  baseline: number[];
  unblock: number[];
  inStream: number[];
  /** Sightings of refused dispatch appends before the stored one. */
  refused: number;
  links: Link[];
}

async function main(teardown: Teardown): Promise<void> {
  const namespace = benchNamespace();
  const bus = await openNamespace(teardown, namespace, 'bench-unblock');
  const env = {
    NATS_URL,
    GT_NAMESPACE: namespace,
    DISPATCHER_MAX_AGENTS_PER_TOWN: String(TOWN_CAP),
    DISPATCHER_ID: 'bench-dispatcher',
  };
  await startServices(teardown, env, [{ service: 'convoy' }, { service: 'dispatcher' }]);

  const baselineStream = `${namespace.toUpperCase()}_BENCH`;
  const baselineSubjects = `${namespace}.bench.>`;
  // Configured as the event stream is: file storage, the same duplicate window.
  await bus.jsm.streams.add({ name: baselineStream, subjects: [baselineSubjects], storage: StorageType.File, duplicate_window: 2 * 60 * 1e9 });

  const observer = new Observer();
  const events = bus.nc.subscribe(bus.names.allEvents, {
    callback: (error, msg) => {
      if (!error) observer.onEvent(msg.data);
    },
  });
  const baselineSub = bus.nc.subscribe(baselineSubjects, {
    callback: (error, msg) => {
      if (!error) observer.onBaseline(msg.subject);
    },
  });
  teardown.add('unsubscribing', async () => {
    events.unsubscribe();
    baselineSub.unsubscribe();
  });
  await bus.nc.flush();

  const client = new CommandClient(bus);
  const townId = randomUUID();
  const rigId = randomUUID();
  const send = async (payload: object, subject = bus.names.commands.convoy): Promise<Extract<CommandReply, { ok: true }>> => {
    const reply = await client.request<CommandReply>(subject, payload);
    if (!reply.ok) throw new Error(`${(payload as { type: string }).type}: ${reply.error.code} ${reply.error.message}`);
    return reply;
  };
  const user = { kind: 'user', id: 'bench' };
  await send({ type: 'CreateTown', commandId: randomUUID(), townId, actor: user, data: { name: 'bench', tokenHash: hashTownToken(generateTownToken()) } }, bus.names.commands.town);
  await send(
    { type: 'RegisterRig', commandId: randomUUID(), townId, actor: user, data: { rigId, name: 'rig', gitUrl: '/srv/rig.git', defaultBranch: 'main', config: { maxPolecats: MAX_POLECATS } } },
    bus.names.commands.town,
  );

  // 100 convoys, each CHAINS chains of CHAIN_LENGTH beads: every first bead is ready at once.
  const chains: { convoyId: string; beads: string[] }[] = [];
  const tasks = Array.from({ length: CHAINS * CHAIN_LENGTH }, (_, i) => ({
    title: `Chain ${Math.floor(i / CHAIN_LENGTH)} step ${i % CHAIN_LENGTH}`,
    dependsOn: i % CHAIN_LENGTH === 0 ? [] : [i - 1],
  }));
  const convoyIds = Array.from({ length: CONVOYS }, () => {
    const commandId = randomUUID();
    return { commandId, convoyId: convoyIdFor(townId, commandId) };
  });
  await pool(convoyIds, 8, async ({ commandId, convoyId }, n) => {
    await send({ type: 'SlingBatch', commandId, townId, convoyId, actor: user, data: { title: `Convoy ${n}`, defaultRigId: rigId, tasks } });
  });
  for (const { convoyId } of convoyIds) {
    for (let c = 0; c < CHAINS; c++) {
      chains.push({ convoyId, beads: Array.from({ length: CHAIN_LENGTH }, (_, k) => beadIdFor(convoyId, c * CHAIN_LENGTH + k)) });
    }
  }
  const convoyOf = new Map(chains.flatMap((chain) => chain.beads.map((bead) => [bead, chain.convoyId] as const)));

  /** A sighting may be of an append the stream refused: the convoy has not stored the dispatch yet, so try again shortly. */
  const submit = async (beadId: string) => {
    const seen = observer.seen(beadId);
    if (!seen) throw new Error(`bead ${beadId} was not dispatched`);
    const command = {
      type: 'SubmitBead',
      commandId: commandIds.submitBead(beadId, 1),
      townId,
      convoyId: convoyOf.get(beadId),
      actor,
      data: { beadId, attempt: 1, branch: seen.branch, headCommit: hex(20) },
    };
    for (let attempt = 1; ; attempt++) {
      const reply = await client.request<CommandReply>(bus.names.commands.convoy, command);
      if (reply.ok) return;
      if (reply.error.code !== 'CONFLICT' || !/not been dispatched/.test(reply.error.message) || attempt >= SUBMIT_ATTEMPTS) {
        throw new Error(`SubmitBead: ${reply.error.code} ${reply.error.message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  const merge = (beadId: string) =>
    send({
      type: 'RecordBeadMerged',
      commandId: commandIds.recordBeadMerged(beadId, 1),
      townId,
      convoyId: convoyOf.get(beadId),
      actor,
      data: { beadId, attempt: 1, mergeCommit: hex(20) },
    });

  // Setup (not timed): submit every first bead as the dispatcher hands it out (64 at a time), so
  // each is IN_REVIEW and holds no slot; this also warms both services up.
  const pending = new Set(chains.map((chain) => chain.beads[0]));
  const setupDeadline = Date.now() + 5 * 60_000;
  while (pending.size > 0) {
    if (Date.now() > setupDeadline) throw new Error(`setup: ${pending.size} first beads still not dispatched`);
    const dispatched = [...pending].filter((bead) => observer.seen(bead));
    if (dispatched.length === 0) {
      await observer.nextDispatch();
      continue;
    }
    await pool(dispatched, 16, submit);
    dispatched.forEach((bead) => pending.delete(bead));
  }
  if (!observer.sample) throw new Error('no BeadDispatched commit seen');
  const sample = observer.sample;

  const rows: RowResult[] = [];
  for (const [r, inFlight] of ROWS.entries()) {
    // Baseline first, at the same in-flight count.
    const baseline: number[] = [];
    const total = BASELINE_WARMUP + chains.length;
    await pool(Array.from({ length: total }, (_, i) => i), inFlight, async (i) => {
      const subject = `${namespace}.bench.r${r}.${i}`;
      const seen = observer.baselineOf(subject);
      const started = performance.now();
      await bus.js.publish(subject, sample, { expect: { lastSubjectSequence: 0 }, msgID: subject });
      const acked = performance.now();
      const at = await seen;
      if (i >= BASELINE_WARMUP) baseline.push(Math.max(acked, at) - started);
    });

    // Link r+1 of every chain: merge its blocker, wait for its dependent's dispatch, submit the dependent.
    const links: Link[] = chains.map((chain) => ({ convoyId: chain.convoyId, blocker: chain.beads[r], dependent: chain.beads[r + 1], recorded: 0 }));
    await pool(links, inFlight, async (link) => {
      if (observer.seen(link.dependent)) throw new Error(`bead ${link.dependent} was dispatched before its blocker merged`);
      await merge(link.blocker);
      link.recorded = performance.now();
      await observer.dispatchOf(link.dependent);
      await submit(link.dependent);
    });
    rows.push({ inFlight, baseline: baseline.sort((a, b) => a - b), unblock: [], inStream: [], refused: 0, links });
  }

  // The same intervals on the server's clock, read back from the stream after the run.
  const stored = await storedTimes(bus);
  for (const row of rows) {
    for (const link of row.links) {
      const merged = stored.merged.get(link.blocker);
      const dispatched = stored.dispatched.get(link.dependent);
      if (!merged || !dispatched) throw new Error(`link ${link.blocker} → ${link.dependent} not found in the stream`);
      if (dispatched.seq <= merged.seq) throw new Error(`bead ${link.dependent} was dispatched at #${dispatched.seq}, before its blocker merged at #${merged.seq}`);
      row.inStream.push(Number(dispatched.nanos - merged.nanos) / 1e6);
      const sightings = observer.sightings(link.dependent);
      const real = sightings.findIndex((seen) => seen.prevSeq === dispatched.prevSeq);
      if (real < 0) throw new Error(`the stored BeadDispatched of bead ${link.dependent} was never seen by the subscriber`);
      row.refused += real;
      row.unblock.push(sightings[real].at - link.recorded);
    }
    row.inStream.sort((a, b) => a - b);
    row.unblock.sort((a, b) => a - b);
  }

  const info = bus.nc.info;
  console.log(
    `unblock latency: ${CONVOYS} active convoys × ${CHAINS} chains of ${CHAIN_LENGTH} beads, 1 rig (maxPolecats ${MAX_POLECATS}), ` +
      `DISPATCHER_MAX_AGENTS_PER_TOWN ${TOWN_CAP}, nats ${info?.version}, ${cpus().length} cores`,
  );
  console.log('baseline: JetStream publish with expected subject sequence, acknowledged and seen by a core subscriber');
  console.log("unblock: RecordBeadMerged reply → the dependent's BeadDispatched seen by a core subscriber");
  console.log("in stream: stored timestamps, BeadMerged commit → the dependent's BeadDispatched commit (server clock)");
  console.log('refused appends seen: dispatch appends the stream refused (wrong expected sequence, re-decided by the convoy service); a core subscriber sees them, the timing uses the stored one');
  const ms = (v: number) => v.toFixed(2);
  const cells = [
    ['merges in flight', (r: RowResult) => String(r.inFlight)],
    ['samples', (r: RowResult) => String(r.unblock.length)],
    ['baseline p50 ms', (r: RowResult) => ms(percentile(r.baseline, 50))],
    ['baseline p99 ms', (r: RowResult) => ms(percentile(r.baseline, 99))],
    ['unblock p50 ms', (r: RowResult) => ms(percentile(r.unblock, 50))],
    ['unblock p99 ms', (r: RowResult) => ms(percentile(r.unblock, 99))],
    ['ratio p50', (r: RowResult) => (percentile(r.unblock, 50) / percentile(r.baseline, 50)).toFixed(1)],
    ['ratio p99', (r: RowResult) => (percentile(r.unblock, 99) / percentile(r.baseline, 99)).toFixed(1)],
    ['in stream p50 ms', (r: RowResult) => ms(percentile(r.inStream, 50))],
    ['in stream p99 ms', (r: RowResult) => ms(percentile(r.inStream, 99))],
    ['refused appends seen', (r: RowResult) => String(r.refused)],
  ] as const;
  console.log(cells.map(([title]) => title).join(' | '));
  for (const row of rows) console.log(cells.map(([title, value]) => value(row).padStart(title.length)).join(' | '));
}

interface StoredEvent {
  seq: number;
  prevSeq: number;
  nanos: bigint;
}

/** Stream position and stored time of every BeadMerged and first BeadDispatched, read with an ordered consumer. */
async function storedTimes(bus: Bus): Promise<{ merged: Map<string, StoredEvent>; dispatched: Map<string, StoredEvent> }> {
  const merged = new Map<string, StoredEvent>();
  const dispatched = new Map<string, StoredEvent>();
  const { state } = await bus.jsm.streams.info(bus.names.eventStream);
  const consumer = await bus.js.consumers.get(bus.names.eventStream, { filter_subjects: bus.names.allEvents });
  const messages = await consumer.consume({ max_bytes: 8 * 1024 * 1024 });
  const deadline = setTimeout(() => void messages.close(), 60_000);
  try {
    for await (const m of messages) {
      const commit = JSON.parse(decoder.decode(m.data)) as { prevSeq: number; events?: WireEvent[] };
      for (const event of commit.events ?? []) {
        const beadId = event.data?.beadId;
        if (!beadId) continue;
        const at = { seq: m.seq, prevSeq: commit.prevSeq, nanos: m.timestampNanos };
        if (event.type === 'BeadMerged') merged.set(beadId, at);
        if (event.type === 'BeadDispatched' && event.data?.attempt === 1 && !dispatched.has(beadId)) dispatched.set(beadId, at);
      }
      if (m.seq >= state.last_seq) break;
    }
  } finally {
    clearTimeout(deadline);
    await messages.close();
    await consumer.delete().catch(() => undefined);
  }
  return { merged, dispatched };
}

runBench('unblock-latency', GLOBAL_TIMEOUT_MS, main);
