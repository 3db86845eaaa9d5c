/**
 * (b) A 10,000-task convoy with long bodies: time for the convoy service to accept it (the
 * decision is durable) and for it to be readable through GraphQL (the mutation returns once the
 * read model has applied it), against the raw cost of making the same bytes durable in
 * JetStream (sequential publishes of ≤ 900 kB chunks) measured in the same run.
 *
 *   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register bench/big-convoy.bench.ts [tasks] [bodyChars]
 */
import { randomUUID } from 'node:crypto';
import { CommandClient, connectBus, deleteTopology, ensureTopology } from '@gastown/bus';
import { CommandReply, convoyIdFor, generateTownToken, hashTownToken } from '@gastown/contracts';
import { createTestDatabase, freePort, startService } from '@gastown/testing';

const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const TASKS = Number(process.argv[2] ?? 10_000);
const BODY = Number(process.argv[3] ?? 400);
const CHUNK = 900 * 1024;

function plan(tag: string) {
  const body = `Implement the step in the plan, keep the public API stable, add tests (${tag}). `.repeat(Math.ceil(BODY / 80)).slice(0, BODY);
  // A layered DAG: each task depends on up to two tasks of the previous layer of 100.
  return Array.from({ length: TASKS }, (_, i) => ({
    title: `Task ${i}: ${tag}`,
    body,
    dependsOn: i < 100 ? [] : [i - 100, i - 100 + ((i * 7) % 100)].filter((d, k, a) => a.indexOf(d) === k),
  }));
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

async function main(): Promise<void> {
  const namespace = `bench${Date.now().toString(36)}`;
  const db = await createTestDatabase();
  const port = await freePort();
  const env = { NATS_URL, GT_NAMESPACE: namespace, DATABASE_URL: db.url, GATEWAY_PORT: String(port) };
  const bus = await connectBus({ servers: NATS_URL, namespace, name: 'bench', logger: { info: () => undefined, warn: console.warn, error: console.error } });
  await ensureTopology(bus);
  const services = await Promise.all([
    startService('convoy', { env, readyText: 'convoy service ready' }),
    startService('gateway', { env, readyText: 'gateway ready' }),
  ]);
  try {
    const client = new CommandClient(bus);
    const townId = randomUUID();
    const rigId = randomUUID();
    const token = generateTownToken();
    const actor = { kind: 'user', id: 'bench' };
    await client.request(bus.names.commands.town, { type: 'CreateTown', commandId: randomUUID(), townId, actor, data: { name: 'bench', tokenHash: hashTownToken(token) } });
    await client.request(bus.names.commands.town, { type: 'RegisterRig', commandId: randomUUID(), townId, actor, data: { rigId, name: 'rig', gitUrl: '/srv/rig.git', defaultBranch: 'main' } });

    const accepted = plan('accepted');
    const bytes = Buffer.from(JSON.stringify(accepted));
    const raw = await timed(async () => {
      const subject = `${namespace}.evt.${randomUUID()}.convoy.${randomUUID()}`;
      for (let offset = 0; offset < bytes.length; offset += CHUNK) await bus.js.publish(subject, bytes.subarray(offset, offset + CHUNK));
    });

    const commandId = randomUUID();
    const accept = await timed(() =>
      client.request<CommandReply>(
        bus.names.commands.convoy,
        { type: 'SlingBatch', commandId, townId, convoyId: convoyIdFor(townId, commandId), actor, data: { title: 'Big plan (accept)', defaultRigId: rigId, tasks: accepted } },
        { timeoutMs: 120_000 },
      ),
    );
    if (!accept.value.ok) throw new Error(accept.value.error.message);

    const readable = await timed(async () => {
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          query: 'mutation($i: SlingBatchInput!) { slingBatch(input: $i) { id progress { total open } } }',
          variables: { i: { title: 'Big plan (readable)', defaultRigId: rigId, tasks: plan('readable') } },
        }),
      });
      const body = (await response.json()) as { data?: { slingBatch: { progress: { total: number } } }; errors?: unknown };
      if (body.data?.slingBatch.progress.total !== TASKS) throw new Error(`unexpected answer: ${JSON.stringify(body).slice(0, 500)}`);
    });

    const mb = (bytes.length / 1024 / 1024).toFixed(1);
    console.log(`${TASKS} tasks, ${BODY}-character bodies, plan ${mb} MB, nats ${bus.nc.info?.version}`);
    const row = (step: string, ms: number) => console.log(`${step.padEnd(48)} | ${ms.toFixed(0).padStart(6)} | ${(ms / raw.ms).toFixed(2).padStart(12)}`);
    console.log(`${'step'.padEnd(48)} | ${'ms'.padStart(6)} | ratio to raw`);
    row('raw JetStream publish of the plan bytes', raw.ms);
    row('accepted by the convoy service (durable)', accept.ms);
    row('slingBatch through GraphQL, readable on return', readable.ms);
  } finally {
    await Promise.all(services.map((s) => s.stop()));
    await deleteTopology(bus);
    await bus.close();
    await db.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
