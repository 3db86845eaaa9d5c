import { request } from 'node:http';
import { WebSocket } from 'ws';
import { GatewayClient, GatewayError, retryHint } from '@gastown/gateway-client';
import { eventually } from '@gastown/testing';
import { codesOf, GatewayHarness, type GqlError, type TestTown } from '../gateway.fixtures';
import { openLiveClient, Received, type LiveClient } from '../live/live.fixtures';
import { DEFAULT_FAIR_SHARE } from '../config/gateway.config';
import { DEFAULT_HEAVY_READS } from '../heavy-reads/heavy-reads.pool';
import type { CostExtension } from './graphql.fair-share';

const BIG_CONVOY = 1_000;
const LINKS = 50;
const DEPTH_5 = `query ($id: ID!) { convoy(id: $id) { beads { blockedBy { blocks { blockedBy { id } } } } } }`;
const CONVOY_CHANGED = `subscription { convoyChanged { sequence } }`;

interface CostedResponse {
  status: number;
  data?: Record<string, unknown> | null;
  errors?: GqlError[];
  extensions?: { cost?: CostExtension };
}

/** Like h.gql, but keeps the extensions, where the cost is reported. */
async function post(url: string, token: string, query: string, variables?: Record<string, unknown>): Promise<CostedResponse> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as Omit<CostedResponse, 'status'>) };
}

/** Each task waits for up to `links` tasks before it, so most beads have that many blockers and dependents. */
function dense(count: number, links: number, rigId: string): Record<string, unknown> {
  return {
    title: 'big convoy',
    defaultRigId: rigId,
    staged: true,
    tasks: Array.from({ length: count }, (_, i) => ({
      title: `task ${i}`,
      dependsOn: Array.from({ length: Math.min(i, links) }, (_, k) => i - 1 - k),
    })),
  };
}

async function registerRig(h: GatewayHarness, town: TestTown, name: string): Promise<string> {
  const { registerRig: rig } = await h.ok<{ registerRig: { id: string } }>(
    town.token,
    `mutation ($input: RegisterRigInput!) { registerRig(input: $input) { id } }`,
    { input: { name, gitUrl: `/srv/git/${name}.git`, defaultBranch: 'main' } },
  );
  return rig.id;
}

describe('fair share: a hostile town against the gateway', () => {
  let h: GatewayHarness;
  let hostile: TestTown;
  let victim: TestTown;
  let bigConvoyId: string;
  const sockets: LiveClient[] = [];

  beforeAll(async () => {
    h = await GatewayHarness.start({
      fairShare: { mutationBurst: 6, mutationsPerSecond: 1, queryCostBurst: 5_000, queryCostPerSecond: 500, maxSubscriptionsPerTown: 3 },
    });
    [hostile, victim] = await Promise.all([h.createTown('hostile'), h.createTown('victim')]);
    const rigId = await registerRig(h, hostile, 'hostile-rig');
    const { slingBatch } = await h.ok<{ slingBatch: { id: string } }>(
      hostile.token,
      `mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { id } }`,
      { input: dense(BIG_CONVOY, LINKS, rigId) },
    );
    bigConvoyId = slingBatch.id;
  }, 120_000);

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await h?.close();
  });

  it('given the depth-5 query on its own dense 1,000-bead convoy, when sent, then it is refused before running, naming its cost and the limit', async () => {
    const started = performance.now();
    const response = await post(h.url, hostile.token, DEPTH_5, { id: bigConvoyId });
    const elapsedMs = performance.now() - started;

    expect(response.status).toBe(400);
    expect(codesOf(response)).toEqual(['QUERY_TOO_COSTLY']);
    // 1,000 beads × 50 blockers × 50 dependents × 50 blockers: the town's own largest lists.
    const cost = 1 + BIG_CONVOY * (1 + LINKS * (1 + LINKS * (1 + LINKS)));
    expect(response.errors?.[0].message).toBe(
      `the operation costs ${cost}, above the limit of 5000: ask for fewer items (first), fewer aliases or less nesting`,
    );
    expect(response.errors?.[0].extensions).toMatchObject({ cost, limit: 5_000 });
    expect(response.data).toBeUndefined();
    expect(response.extensions?.cost).toMatchObject({ requestedQueryCost: cost, actualQueryCost: 0 });
    expect(elapsedMs).toBeLessThan(5_000);
  });

  it('given 500 aliases of a cheap-looking list, when sent, then the aliases add up and the query is refused', async () => {
    const aliases = Array.from({ length: 500 }, (_, i) => `a${i}: convoys { edges { node { beads { id } } } }`).join(' ');
    const response = await post(h.url, hostile.token, `{ ${aliases} }`);

    expect(codesOf(response)).toEqual(['QUERY_TOO_COSTLY']);
    expect(response.errors?.[0].message).toContain(`costs ${500 * (1 + 20 * (1 + 1 + BIG_CONVOY))}, above the limit of 5000`);
  });

  it('given a query within budget, when answered, then extensions.cost reports what was asked, what it cost and the town’s own bucket', async () => {
    const response = await post(h.url, hostile.token, `query ($id: ID!) { convoy(id: $id) { beads(first: 10) { id blockedBy { id } } } }`, {
      id: bigConvoyId,
    });

    expect(response.errors).toBeUndefined();
    expect(response.extensions?.cost).toMatchObject({
      requestedQueryCost: 1 + 10 * (1 + LINKS),
      actualQueryCost: 1 + 1 + 10 + (0 + 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9),
      maximumQueryCost: DEFAULT_FAIR_SHARE.maxQueryCost,
      throttleStatus: { maximumAvailable: 5_000, restoreRate: 500 },
    });
  });

  it('given a hostile town that spent its query budget, when the victim asks, then the victim’s bucket is whole and its answer comes', async () => {
    const spend = `query ($id: ID!) { convoy(id: $id) { beads { id title } } }`;
    let limited: CostedResponse | undefined;
    await eventually(
      'the hostile town rate limited on query cost',
      async () => {
        const responses = await Promise.all(Array.from({ length: 10 }, () => post(h.url, hostile.token, spend, { id: bigConvoyId })));
        limited = responses.find((r) => codesOf(r).includes('RATE_LIMITED'));
        return limited;
      },
      { timeoutMs: 60_000, intervalMs: 0 },
    );

    expect(limited?.status).toBe(429);
    expect(limited?.errors?.[0].extensions['retryAfterMs']).toBeGreaterThan(0);
    const victimAnswer = await post(h.url, victim.token, `{ town { id } }`);
    expect(victimAnswer.data).toEqual({ town: { id: victim.id } });
    expect(victimAnswer.extensions?.cost?.throttleStatus.currentlyAvailable).toBeGreaterThan(5_000 - 10);
  }, 90_000);

  it('given a flood of mutations, when over the burst, then RATE_LIMITED with retryAfterMs, and the victim’s mutations still pass', async () => {
    const close = `mutation ($id: ID!) { closeConvoy(id: $id, reason: "flood") { id } }`;
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => h.gql(hostile.token, close, { id: '00000000-0000-4000-8000-000000000000' })),
    );
    const limited = responses.filter((r) => codesOf(r).includes('RATE_LIMITED'));

    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0].status).toBe(429);
    expect(limited[0].errors?.[0].extensions['retryAfterMs']).toEqual(expect.any(Number));
    expect(limited[0].errors?.[0].message).toMatch(/^rate limited: the town sends more than 1 mutations a second; retry in \d/);
    const victimRig = await h.gql(victim.token, `mutation { registerRig(input: { name: "calm", gitUrl: "/srv/git/calm.git", defaultBranch: "main" }) { id } }`);
    expect(victimRig.errors).toBeUndefined();
  });

  it('given a client of a rate-limited town, when it sends a mutation, then it surfaces RATE_LIMITED or waits the time asked and gets through', async () => {
    const close = `mutation ($id: ID!) { closeConvoy(id: $id, reason: "flood") { id } }`;
    const variables = { id: '00000000-0000-4000-8000-000000000000' };
    await Promise.all(Array.from({ length: 8 }, () => h.gql(hostile.token, close, variables)));

    const impatient = new GatewayClient({ url: h.url, token: hostile.token, maxRateLimitWaitMs: 0 });
    const refused = await impatient.request(close, variables).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(GatewayError);
    expect((refused as GatewayError).code).toBe('RATE_LIMITED');
    expect(retryHint(refused as GatewayError)).toMatch(/^retry in \d+(\.\d)? s$/);

    const patient = new GatewayClient({ url: h.url, token: hostile.token, maxRateLimitWaitMs: 30_000 });
    const answered = await patient.request(close, variables).catch((error: unknown) => error);
    expect((answered as GatewayError).code).toBe('NOT_FOUND');
  });

  it('given an unauthenticated 60 MB POST, when sent, then 401 comes back before the client has sent the body', async () => {
    const total = 60 * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    const { status, body, sentWhenAnswered } = await new Promise<{ status: number; body: string; sentWhenAnswered: number }>((done, fail) => {
      let sent = 0;
      const req = request(h.url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(total) } });
      let answered = false;
      req.on('response', (res) => {
        answered = true;
        const answeredAt = sent;
        let text = '';
        res.on('data', (part: Buffer) => (text += part.toString()));
        res.on('end', () => {
          req.destroy();
          done({ status: res.statusCode ?? 0, body: text, sentWhenAnswered: answeredAt });
        });
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        // The server closes the connection after answering; writes after that fail, which is the point.
        if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') fail(error);
      });
      const write = (): void => {
        while (sent < total && !answered && !req.destroyed) {
          sent += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', write);
            return;
          }
        }
        if (!answered && !req.destroyed) req.end();
      };
      write();
    });

    expect(status).toBe(401);
    expect(JSON.parse(body)).toEqual({ errors: [{ message: expect.stringContaining('missing credentials'), extensions: { code: 'UNAUTHENTICATED' } }] });
    expect(sentWhenAnswered).toBeLessThan(total / 2);
  });

  it('given a town at its subscription cap, when it opens one more, then it is refused while another town still subscribes', async () => {
    const [first, second] = [openLiveClient(h.url, hostile.token), openLiveClient(h.url, hostile.token)];
    sockets.push(first, second);
    const running = [
      new Received(first.client, CONVOY_CHANGED, {}),
      new Received(first.client, CONVOY_CHANGED, {}),
      new Received(second.client, CONVOY_CHANGED, {}),
    ];
    const refused = new Received(second.client, CONVOY_CHANGED, {});
    await eventually('the refusal', async () => refused.errors.length > 0);

    expect(refused.errors[0]?.[0]).toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
    expect(refused.errors[0]?.[0].message).toContain('the town already runs 3 subscriptions');
    expect(running.every((r) => r.errors.length === 0)).toBe(true);

    const calm = openLiveClient(h.url, victim.token);
    sockets.push(calm);
    const allowed = new Received<{ convoyChanged: { sequence: number } }>(calm.client, CONVOY_CHANGED, {});
    const rigId = await registerRig(h, victim, 'victim-rig');
    await h.ok(victim.token, `mutation ($rig: ID!) { sling(input: { title: "still live", rigId: $rig }) { id } }`, { rig: rigId });
    await allowed.until('the victim’s own change', () => true);
  });

  it('given a subscription that could cost more per change than the town may spend at once, when subscribed, then it is refused QUERY_TOO_COSTLY before any change', async () => {
    const lavish = await h.createTown('lavish');
    const socket = openLiveClient(h.url, lavish.token);
    sockets.push(socket);
    // A decision holds up to CONVOY_MAX_TASKS + 1 events: three aliases of them are three times that, per change.
    const aliases = `subscription { convoyChanged { a: events { type } b: events { type } c: events { type } } }`;
    const refused = new Received(socket.client, aliases, {});
    const cheap = new Received<{ convoyChanged: { sequence: number } }>(socket.client, CONVOY_CHANGED, {});
    await eventually('the refusal', async () => refused.errors.length > 0);

    expect(refused.errors[0]?.[0]).toMatchObject({ extensions: { code: 'QUERY_TOO_COSTLY' } });
    expect(refused.errors[0]?.[0].message).toMatch(/the subscription could cost \d+ per change, above the limit of 5000/);
    const rigId = await registerRig(h, lavish, 'lavish-rig');
    await h.ok(lavish.token, `mutation ($rig: ID!) { sling(input: { title: "cheap still live", rigId: $rig, staged: true }) { id } }`, { rig: rigId });
    await cheap.until('the cheap subscription’s change', () => true);
    expect(refused.data).toEqual([]);
  });

  it('given a town whose subscriptions receive more than its query budget, when its changes go on, then they are cut RATE_LIMITED with the sequence to resume after, a client resumes missing nothing, and the victim is served throughout', async () => {
    const greedy = await h.createTown('greedy');
    const rigId = await registerRig(h, greedy, 'greedy-rig');
    // Each change sends a 400-bead convoy's beads twice: about 800 objects, to each of the town's three subscriptions.
    const heavy = `subscription ($afterSequence: Float) { convoyChanged(afterSequence: $afterSequence) { sequence convoy { beads(first: 400) { id title } again: beads(first: 400) { id } } } }`;
    const socket = openLiveClient(h.url, greedy.token);
    sockets.push(socket);
    const cut = [new Received<{ convoyChanged: { sequence: number } }>(socket.client, heavy, {}), new Received<{ convoyChanged: { sequence: number } }>(socket.client, heavy, {})];
    const seen: number[] = [];
    const failed: GatewayError[] = [];
    const resuming = new GatewayClient({ url: h.url, token: greedy.token, webSocketImpl: WebSocket }).subscribe<{ convoyChanged: { sequence: number } }>(
      heavy,
      () => (seen.length ? { afterSequence: seen[seen.length - 1] } : {}),
      { next: (change) => seen.push(change.convoyChanged.sequence), error: (error) => failed.push(error) },
    );
    const victimSocket = openLiveClient(h.url, victim.token);
    sockets.push(victimSocket);
    const victimLive = new Received<{ convoyChanged: { sequence: number } }>(victimSocket.client, CONVOY_CHANGED, {});
    // Small changes until every subscription received one: from then on, each sees every change.
    await eventually(
      'the three subscriptions running',
      async () => {
        if (cut.some((r) => r.errors.length > 0) || failed.length > 0) throw new Error(`a subscription failed: ${JSON.stringify([...cut.map((r) => r.errors), failed])}`);
        if (cut.every((r) => r.data.length > 0) && seen.length > 0) return true;
        await h.ok(greedy.token, `mutation ($rig: ID!) { sling(input: { title: "warm-up", rigId: $rig, staged: true }) { id } }`, { rig: rigId });
        return false;
      },
      { intervalMs: 1_000 },
    );
    const before = seen.length;
    const warmedUp = cut.map((r) => r.data.length);

    const slung: string[] = [];
    for (let i = 0; i < 4; i++) {
      const tasks = Array.from({ length: 400 }, (_, k) => ({ title: `change ${i} task ${k}` }));
      const { slingBatch } = await h.ok<{ slingBatch: { id: string } }>(greedy.token, `mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { id } }`, {
        input: { title: `greedy ${i}`, defaultRigId: rigId, staged: true, parallel: true, tasks },
      });
      slung.push(slingBatch.id);
    }
    await eventually('both plain subscriptions cut', async () => cut.every((r) => r.errors.length > 0), { timeoutMs: 30_000 });

    cut.forEach((received, i) => {
      const last = received.data.at(-1)?.convoyChanged.sequence;
      expect(received.errors[0]?.[0]).toMatchObject({ extensions: { code: 'RATE_LIMITED', retryAfterMs: expect.any(Number), sequence: last } });
      expect(received.data.length - (warmedUp[i] ?? 0)).toBeLessThan(slung.length);
    });
    const victimAnswer = await post(h.url, victim.token, `{ town { id } }`);
    expect(victimAnswer.data).toEqual({ town: { id: victim.id } });
    const victimRig = await registerRig(h, victim, 'victim-live-rig');
    await h.ok(victim.token, `mutation ($rig: ID!) { sling(input: { title: "live while greedy is cut", rigId: $rig }) { id } }`, { rig: victimRig });
    await victimLive.until('the victim’s change', () => true);

    // The resuming client waits what it is told each time and misses nothing: one change per convoy slung, in order.
    await eventually('every change through the resuming client', async () => seen.length >= before + slung.length, { timeoutMs: 60_000 });
    await resuming.close();
    expect(failed).toEqual([]);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toHaveLength(before + slung.length);
  }, 120_000);

  it('given the WebSocket, when a town sends a costly query and mutations on it, then both are refused as not over HTTP and nothing is written', async () => {
    // A town of its own: the hostile town's earlier sockets hold its whole subscription cap, which counts every operation on a socket.
    const sender = await h.createTown('socket-sender');
    const socket = openLiveClient(h.url, sender.token);
    sockets.push(socket);
    const costly = new Received(socket.client, DEPTH_5, { id: bigConvoyId });
    const writes = Array.from(
      { length: 2 },
      (_, i) => new Received(socket.client, `mutation { registerRig(input: { name: "over-the-socket-${i}", gitUrl: "/srv/git/socket.git", defaultBranch: "main" }) { id } }`, {}),
    );
    await eventually('every refusal', async () => [costly, ...writes].every((r) => r.completed));

    expect(costly.data).toEqual([]);
    expect(costly.errors[0]?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(costly.errors[0]?.[0].message).toContain('queries are sent over HTTP');
    expect(writes.map((w) => w.errors[0]?.[0].message)).toEqual(writes.map(() => expect.stringContaining('mutations are sent over HTTP')));
    const { rigs } = await h.ok<{ rigs: { name: string }[] }>(sender.token, '{ rigs { name } }');
    expect(rigs.map((r) => r.name).filter((name) => name.startsWith('over-the-socket'))).toEqual([]);
  });
});

describe.each([
  ['on the main thread', undefined],
  ['in a heavy-read worker', DEFAULT_HEAVY_READS],
])('fair share: the execution deadline, heavy reads %s', (_, heavyReads) => {
  let h: GatewayHarness;
  let town: TestTown;

  beforeAll(async () => {
    // A bucket and a heavy-read gate that admit twenty reads at once: what is measured here is the deadline alone.
    h = await GatewayHarness.start({
      fairShare: { queryDeadlineMs: 1, queryCostBurst: 1_000_000, queryCostPerSecond: 500_000, heavyQueriesPerTown: 20 },
      heavyReads,
    });
    town = await h.createTown('slow');
    const rigId = await registerRig(h, town, 'slow-rig');
    await h.ok(town.token, `mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { id } }`, { input: dense(50, 1, rigId) });
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  it('given an operation that runs past the deadline, when answered, then one DEADLINE_EXCEEDED error and no partial data', async () => {
    const response = await post(h.url, town.token, `{ convoys { edges { node { beads(first: 50) { blockedBy { blocks { title } } } } } } }`);

    expect(response.status).toBe(200);
    expect(response.data).toBeNull();
    expect(response.errors).toEqual([
      { message: 'the operation ran past the 1 ms deadline and was aborted; ask for less at once', extensions: { code: 'DEADLINE_EXCEEDED', deadlineMs: 1 } },
    ]);
  });

  it('given many operations cut off in the middle of their lists, when they are answered, then the gateway goes on serving', async () => {
    const cut = await Promise.all(
      Array.from({ length: 20 }, () => post(h.url, town.token, `{ convoys { edges { node { beads { id title blockedBy { id title } blocks { id } } } } } }`)),
    );
    expect(cut.every((r) => r.errors?.[0]?.extensions.code === 'DEADLINE_EXCEEDED')).toBe(true);

    const after = await h.gql(town.token, `mutation { registerRig(input: { name: "after", gitUrl: "/srv/git/after.git", defaultBranch: "main" }) { id } }`);
    expect(after.errors).toBeUndefined();
  });
});
