/**
 * Noisy neighbour: what town B's load does to town A. A's simple query (`{ town { id } }`,
 * p50/p99 over sequential requests) and A's one-bead convoy time-to-dispatch (slingBatch sent →
 * its BeadDispatched stored) are measured alone, then while B runs, in turn:
 *   - the heaviest queries the cost limit admits, from several workers that ignore RATE_LIMITED;
 *   - a subscription flood up to the caps (connections of 16 subscriptions up to the town's cap), with B's changes flowing;
 *   - a mutation flood from several workers;
 *   - the largest admissible plan (CONVOY_MAX_TASKS tasks, bodies as long as the plan size limit allows), staged;
 *   - agents filling its slots (long `sleep` agents through an operator profile).
 * Everything runs as `npm start` runs it (SystemHarness: real processes, NATS, PostgreSQL, git).
 * Target: A's p99 under load ≤ 3× alone, and A's dispatch never waits on B's agents.
 *
 *   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register bench/noisy-neighbour.bench.ts
 *
 * NOISY_NEIGHBOUR_ONLY=<words> measures only the phases whose names hold one of the words (and A
 * alone), e.g. `heaviest` while working on one abuse: the whole run takes many minutes.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import { EventStore } from '@gastown/bus';
import { convoyIdFor } from '@gastown/contracts';
import { GatewayError } from '@gastown/gateway-client';
import { SystemHarness, type OtherTown } from '@gastown/system-testing';
import { eventually } from '@gastown/testing';
import { percentile } from './bench.measure';
import { runBench, type Teardown } from './bench.system';

/** Enough that p99 is not the second-slowest probe: with 150, one scheduler hiccup on this 2-core machine moved a ratio by x2. */
const PROBES = 600;
/** A phase stops probing after this long even if the probes are slow, so the run stays bounded. */
const PHASE_PROBE_MS = 45_000;
const LOAD_WORKERS = 6;
const SLEEP_S = 120;
const MAX_TASKS = 10_000;
/** The convoy B's heavy queries read. */
const HEAVY_CONVOY = 2_000;
/** Under the convoy service's plan size limit (8 MiB per decision), with room for each bead's event around its body. */
const PLAN_BODY_CHARS = 300;
const SUBSCRIPTIONS_PER_CONNECTION = 16;
const TOWN_SUBSCRIPTIONS = 256;
const GLOBAL_TIMEOUT_MS = 10 * 60_000;
const ONLY = (process.env['NOISY_NEIGHBOUR_ONLY'] ?? '').split(/[\s,]+/).filter(Boolean);
const wanted = (phase: string) => ONLY.length === 0 || ONLY.some((word) => phase.includes(word));

interface Figures {
  phase: string;
  p50: number;
  p99: number;
  /** Probes that failed (a dropped connection, an aborted answer). */
  lost: number;
  probes: number;
  dispatchMs: number;
  load: string;
}

type Gql = <T>(query: string, variables?: Record<string, unknown>) => Promise<{ data?: T; errors?: { message: string; extensions?: { code?: string } }[] }>;

async function must<T>(gql: Gql, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const answer = await gql<T>(query, variables);
  if (answer.errors?.length || !answer.data) throw new Error(`GraphQL: ${JSON.stringify(answer.errors).slice(0, 500)}`);
  return answer.data;
}

/** Runs `work` in `workers` loops until stop() is called; says what the gateway answered, counted by code. */
function background(workers: number, work: () => Promise<string>): { stop(): Promise<string> } {
  let running = true;
  const counts: Record<string, number> = {};
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const outcome = await work().catch((error: unknown) => (error instanceof GatewayError ? error.code : 'FAILED'));
      counts[outcome] = (counts[outcome] ?? 0) + 1;
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return summary(counts);
    },
  };
}

/**
 * B's clients stand for programs on other machines: on this 2-core machine their own work (parsing
 * megabytes of answers, thousands of subscription events) would otherwise take CPU from the
 * system under test and count as the gateway's. Their thread runs at the lowest priority (Linux
 * schedules each thread on its own; setpriority(2) given a thread id applies to it alone).
 */
const LOAD_THREAD_NICE = `require('node:os').setPriority(Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop()), 19);`;

/**
 * The same loops as `background`, for one GraphQL request sent again and again, in a thread of its
 * own: B's client is not A's, and parsing B's multi-megabyte answers on the thread that times A's
 * probes would count B's client's work as the gateway's.
 */
function backgroundInThread(workers: number, request: { url: string; token: string; query: string; variables: Record<string, unknown> }): { stop(): Promise<string> } {
  const thread = new Worker(
    `
    const { parentPort, workerData: { workers, url, token, query, variables } } = require('node:worker_threads');
    ${LOAD_THREAD_NICE}
    let running = true;
    const counts = {};
    const send = async () => {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token }, body: JSON.stringify({ query, variables }) });
      const answer = await response.json();
      return answer.errors?.[0]?.extensions?.code ?? 'OK';
    };
    const loops = Array.from({ length: workers }, async () => {
      while (running) {
        const outcome = await send().catch(() => 'FAILED');
        counts[outcome] = (counts[outcome] ?? 0) + 1;
      }
    });
    parentPort.once('message', async () => {
      running = false;
      await Promise.all(loops);
      parentPort.postMessage(counts);
    });
    `,
    { eval: true, workerData: { workers, ...request } },
  );
  return {
    stop: async () => {
      thread.postMessage('stop');
      const [counts] = (await once(thread, 'message')) as [Record<string, number>];
      await thread.terminate();
      return summary(counts);
    },
  };
}

/**
 * B's subscribers, in a thread of their own as backgroundInThread's readers: connections of
 * `perConnection` subscriptions each, counting the events they get and how they were refused.
 */
function subscriptionFloodInThread(flood: { url: string; token: string; connections: number; perConnection: number; query: string }): { stop(): Promise<string> } {
  const thread = new Worker(
    `
    const { parentPort, workerData: { url, token, connections, perConnection, query } } = require('node:worker_threads');
    ${LOAD_THREAD_NICE}
    const { createClient } = require('graphql-ws');
    const WebSocket = require('ws');
    const refused = {};
    let events = 0;
    const clients = [];
    const ends = [];
    for (let i = 0; i < connections; i++) {
      const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { authorization: 'Bearer ' + token }, retryAttempts: 0 });
      clients.push(client);
      for (let j = 0; j < perConnection; j++) {
        ends.push(client.subscribe({ query }, {
          next: () => (events += 1),
          error: (error) => {
            const code = Array.isArray(error) ? (error[0]?.extensions?.code ?? 'ERROR') : 'CLOSED ' + (error?.code ?? '?');
            refused[code] = (refused[code] ?? 0) + 1;
          },
          complete: () => undefined,
        }));
      }
    }
    parentPort.once('message', async () => {
      ends.forEach((end) => end());
      await Promise.all(clients.map((client) => client.dispose()));
      parentPort.postMessage({ refused, events });
    });
    `,
    { eval: true, workerData: flood },
  );
  return {
    stop: async () => {
      thread.postMessage('stop');
      const [{ refused, events }] = (await once(thread, 'message')) as [{ refused: Record<string, number>; events: number }];
      await thread.terminate();
      return `${flood.connections * flood.perConnection} asked, refused: ${summary(refused) || 'none'}, ${events} events delivered`;
    },
  };
}

function summary(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
}

const outcomeOf = (answer: { errors?: { extensions?: { code?: string } }[] }) => answer.errors?.[0]?.extensions?.code ?? 'OK';

type Costed = { extensions?: { cost?: { requestedQueryCost: number; maximumQueryCost: number; throttleStatus: { maximumAvailable: number } } } };

/**
 * The heaviest read the gateway admits on `convoyId`, whatever its limits: aliases of the convoy's
 * beads with their bodies and both link lists, each bead costing what one costs on this convoy.
 */
async function heaviestQuery(gql: Gql, convoyId: string): Promise<{ query: string; aliases: number; first: number; cost: number; limit: number }> {
  const beads = (first: number) => `beads(first: ${first}) { id title body blockedBy { id title } blocks { id title } }`;
  const build = (aliases: number, first: number) => `query ($id: ID!) { ${Array.from({ length: aliases }, (_, i) => `a${i}: convoy(id: $id) { ${beads(first)} }`).join(' ')} }`;
  const probe = ((await gql(build(1, 1), { id: convoyId })) as Costed).extensions?.cost;
  if (!probe) throw new Error('the gateway reports no query cost');
  // A read is refused above the smaller of the operation limit and the town's bucket.
  const limit = Math.min(probe.maximumQueryCost, probe.throttleStatus.maximumAvailable);
  const perBead = probe.requestedQueryCost - 1;
  const aliases = Math.ceil(limit / (1 + HEAVY_CONVOY * perBead));
  const first = Math.max(1, Math.floor((limit / aliases - 1) / perBead));
  return { query: build(aliases, first), aliases, first, cost: aliases * (1 + first * perBead), limit };
}

async function main(teardown: Teardown): Promise<void> {
  const system = await SystemHarness.start({
    env: {
      GASTOWN_AGENT_PROFILES_JSON: JSON.stringify({ sleep: { command: ['sleep', String(SLEEP_S)] } }),
      GASTOWN_ALLOW_TOWN_AGENT_COMMANDS: 'true',
      GIT_RUNNER_MAX_AGENTS: '4',
      DISPATCHER_AGENT_SLOTS: '4',
      DISPATCHER_MAX_AGENTS_PER_TOWN: '3',
      CONVOY_MAX_TASKS: String(MAX_TASKS),
    },
  });
  teardown.add('stopping the system', () => system.close());
  try {
    await run(system);
  } catch (error) {
    // A service that died says why in its own output, not in the bench's error.
    for (const [name, process] of system.processes) if (process.child.exitCode !== null || process.child.signalCode !== null) console.error(`${name} exited:\n${process.output().slice(-3000)}`);
    throw error;
  }
}

async function run(system: SystemHarness): Promise<void> {
  const b: OtherTown = await system.addTown('noisy');
  const gqlA: Gql = (query, variables = {}) => system.gqlRaw(query, variables);
  const gqlB: Gql = (query, variables = {}) => b.gqlRaw(query, variables);

  const rigA = await system.registerRig('quiet', system.origin().bare);
  const { registerRig: rigB } = await must<{ registerRig: { id: string } }>(gqlB, 'mutation ($input: RegisterRigInput!) { registerRig(input: $input) { id } }', {
    input: { name: 'noisy', gitUrl: system.origin().bare, defaultBranch: 'main' },
  });
  const { registerRig: sleepers } = await must<{ registerRig: { id: string } }>(gqlB, 'mutation ($input: RegisterRigInput!) { registerRig(input: $input) { id } }', {
    input: { name: 'sleepers', gitUrl: system.origin().bare, defaultBranch: 'main', config: { maxPolecats: 6, agent: { kind: 'PROFILE', profile: 'sleep' } } },
  });

  const probeLatencies = async (): Promise<{ p50: number; p99: number; lost: number; probes: number }> => {
    const latencies: number[] = [];
    let lost = 0;
    const until = performance.now() + PHASE_PROBE_MS;
    for (let i = 0; i < PROBES && performance.now() < until; i++) {
      const started = performance.now();
      try {
        await must(gqlA, '{ town { id } }');
      } catch (error) {
        // A dropped connection or an aborted answer is what A would see too: it counts, with the time it took to fail.
        lost += 1;
        if (lost === 1) console.error(`a probe of A failed: ${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message}`);
      }
      latencies.push(performance.now() - started);
    }
    latencies.sort((x, y) => x - y);
    return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), lost, probes: latencies.length };
  };
  const store = new EventStore(system.bus);
  const timeToDispatch = async (): Promise<number> => {
    const started = performance.now();
    const commandId = randomUUID();
    const answer = await gqlA<{ slingBatch: { id: string } }>('mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { id } }', {
      input: { title: 'One bead', defaultRigId: rigA, tasks: [{ title: 'quick' }], commandId },
    });
    // UNAVAILABLE: accepted, but the read models were slow to show it; the bead is dispatched all the same.
    if (answer.errors?.length && answer.errors[0].extensions?.code !== 'UNAVAILABLE') throw new Error(`GraphQL: ${JSON.stringify(answer.errors)}`);
    const convoyId = convoyIdFor(system.townId, commandId);
    await eventually(
      "A's bead dispatched",
      async () => (await store.readSubject(system.bus.names.convoyEvents(system.townId, convoyId))).some((c) => c.events.some((e) => e.type === 'BeadDispatched')),
      { timeoutMs: 5 * 60_000, intervalMs: 25 },
    );
    return performance.now() - started;
  };
  const figures: Figures[] = [];
  const measure = async (phase: string, load: () => { stop(): Promise<string> } | Promise<{ stop(): Promise<string> }>): Promise<void> => {
    if (figures.length > 0 && !wanted(phase)) return;
    const running = await load();
    try {
      const { p50, p99, lost, probes } = await probeLatencies();
      const dispatchMs = await timeToDispatch();
      figures.push({ phase, p50, p99, lost, probes, dispatchMs, load: await running.stop() });
    } catch (error) {
      await running.stop();
      throw error;
    }
  };

  // A warm-up, so the first phase does not pay for cold caches and connections.
  await probeLatencies();
  await timeToDispatch();

  await measure('alone', () => ({ stop: async () => '-' }));

  await measure('heaviest admissible queries', async () => {
    // What the heavy queries read: a convoy of B's, big enough to make them as heavy as the cost limit lets them be.
    const { slingBatch: readable } = await must<{ slingBatch: { id: string } }>(gqlB, 'mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { id } }', {
      input: {
        title: 'read by the heavy queries',
        defaultRigId: rigB.id,
        staged: true,
        tasks: Array.from({ length: HEAVY_CONVOY }, (_, i) => ({ title: `task ${i}`, body: 'x'.repeat(PLAN_BODY_CHARS), dependsOn: i === 0 ? [] : [i - 1] })),
      },
    });
    const heavy = await heaviestQuery(gqlB, readable.id);
    console.log(`heaviest admissible query: ${heavy.aliases} aliases of ${heavy.first} beads, cost ${heavy.cost} of ${heavy.limit}`);
    return backgroundInThread(LOAD_WORKERS, { url: system.gatewayUrls()[0], token: b.token, query: heavy.query, variables: { id: readable.id } });
  });

  await measure('subscription flood', async () => {
    const flood = subscriptionFloodInThread({
      url: system.url.replace(/^http/, 'ws'),
      token: b.token,
      connections: TOWN_SUBSCRIPTIONS / SUBSCRIPTIONS_PER_CONNECTION + 1,
      perConnection: SUBSCRIPTIONS_PER_CONNECTION,
      query: 'subscription { convoyChanged { sequence convoy { id progress { total } } } }',
    });
    const changes = background(1, async () => outcomeOf(await gqlB('mutation ($rig: ID!) { sling(input: { title: "churn", rigId: $rig, staged: true }) { id } }', { rig: rigB.id })));
    return {
      stop: async () => {
        const made = await changes.stop();
        return `${await flood.stop()}; changes: ${made}`;
      },
    };
  });

  await measure('mutation flood', () =>
    background(LOAD_WORKERS, async () =>
      outcomeOf(await gqlB('mutation ($rig: ID!) { sling(input: { title: "flood", rigId: $rig, staged: true }) { id } }', { rig: rigB.id })),
    ),
  );

  await measure('agents filling its slots', async () => {
    const { slingBatch } = await must<{ slingBatch: { id: string } }>(gqlB, 'mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { id } }', {
      input: { title: 'long agents', defaultRigId: sleepers.id, parallel: true, tasks: Array.from({ length: 6 }, (_, i) => ({ title: `sleep ${i}` })) },
    });
    const started = async () =>
      (await store.readSubject(system.bus.names.convoyEvents(b.townId, slingBatch.id))).flatMap((c) => c.events).filter((e) => e.type === 'BeadStarted').length;
    await eventually("B's agents holding its share of the slots", async () => (await started()) >= 3, { timeoutMs: 120_000, intervalMs: 100 });
    return { stop: async () => `${await started()} of B's ${SLEEP_S} s agents running` };
  });

  report(figures);
  // Last: whatever it does to the system, the other phases are measured (and printed) already.
  let largestId = '';
  const largest = `largest plan (${MAX_TASKS} tasks × ${PLAN_BODY_CHARS}-char bodies)`;
  await measure(largest, () => {
    const body = 'x'.repeat(PLAN_BODY_CHARS);
    const sent = performance.now();
    const sling = gqlB<{ slingBatch: { id: string } }>('mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { id } }', {
      input: {
        title: 'largest plan',
        defaultRigId: rigB.id,
        staged: true,
        tasks: Array.from({ length: MAX_TASKS }, (_, i) => ({ title: `task ${i}`, body, dependsOn: i === 0 ? [] : [i - 1] })),
      },
    }).then((answer) => {
      largestId = answer.data?.slingBatch.id ?? '';
      const refusal = answer.errors?.[0] ? ` (${answer.errors[0].message})` : '';
      return `${outcomeOf(answer)} in ${((performance.now() - sent) / 1000).toFixed(1)} s${refusal}`;
    });
    return { stop: () => sling };
  });
  if (wanted(largest) && !largestId) console.error(`the largest plan was refused: ${figures[figures.length - 1].load}`);

  report(figures);
}

function report(figures: Figures[]): void {
  const alone = figures[0];
  console.log(`noisy neighbour: town A's { town { id } } (up to ${PROBES} sequential, ${PHASE_PROBE_MS / 1000} s at most) and one-bead time-to-dispatch, alone and while town B loads the system; ${cpus().length} cores`);
  const cells = [
    ['while B runs', (f: Figures) => f.phase],
    ['A probes', (f: Figures) => String(f.probes)],
    ['A p50 ms', (f: Figures) => f.p50.toFixed(1)],
    ['A p99 ms', (f: Figures) => f.p99.toFixed(1)],
    ['p99 ratio', (f: Figures) => (f.p99 / alone.p99).toFixed(2)],
    ['A lost', (f: Figures) => String(f.lost)],
    ['A dispatch ms', (f: Figures) => f.dispatchMs.toFixed(0)],
    ['dispatch ratio', (f: Figures) => (f.dispatchMs / alone.dispatchMs).toFixed(2)],
    ["B's outcomes", (f: Figures) => f.load],
  ] as const;
  const width = (title: string) => Math.max(title.length, ...figures.map((f) => cells.find(([t]) => t === title)?.[1](f).length ?? 0));
  console.log(cells.map(([title]) => title.padEnd(width(title))).join(' | '));
  for (const f of figures) console.log(cells.map(([title, value]) => value(f).padEnd(width(title))).join(' | '));
  const worst = Math.max(...figures.slice(1).map((f) => f.p99 / alone.p99));
  console.log(`target: A's p99 under load ≤ 3× alone — worst ${worst.toFixed(2)}× ${worst <= 3 ? 'met' : 'MISSED'}`);
}

runBench('noisy-neighbour', GLOBAL_TIMEOUT_MS, main);
