import { SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { register } from 'prom-client';
import { ServiceLogger } from '@gastown/service-runtime';
import { eventually } from '@gastown/testing';
import { GatewayHarness, type TestTown } from '../gateway.fixtures';
import { openLiveClient, Received } from '../live/live.fixtures';
import { ReadModelTimeoutError, ReadModelWaiter } from '../projection/read-model.waiter';
import { TownService } from '../town/town.service';

const REGISTER_RIG = 'mutation ($input: RegisterRigInput!) { registerRig(input: $input) { id } }';

/**
 * The gateway in this process with an in-memory span exporter: each GraphQL operation is timed by
 * type, first root field and outcome, its cost recorded, and the commands it sends run inside the
 * operation's span, which continues a caller's traceparent.
 */
describe('GraphQL operations measured and traced', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let harness: GatewayHarness;
  let town: TestTown;

  beforeAll(async () => {
    provider.register();
    harness = await GatewayHarness.start();
    town = await harness.createTown();
  });

  afterEach(() => jest.restoreAllMocks());

  afterAll(async () => {
    await harness?.close();
    await provider.shutdown();
    trace.disable();
  });

  it('given a query, a refused mutation and an accepted one, when scraped, then each is counted by type, root field and outcome, with its cost', async () => {
    await harness.ok(town.token, '{ town { id name } }');
    const web = { name: 'web', gitUrl: 'https://git.example.com/acme/web.git', defaultBranch: 'main' };
    await harness.ok(town.token, REGISTER_RIG, { input: web });
    // The same name again is refused, with the refusal's code.
    const refused = await harness.gql(town.token, REGISTER_RIG, { input: web });
    const code = (refused as { errors?: { extensions?: { code?: string } }[] }).errors?.[0]?.extensions?.code;
    expect(code).toMatch(/^[A-Z_]+$/);

    const metrics = await register.metrics();
    expect(metrics).toMatch(/^gastown_graphql_operation_duration_seconds_count\{operation="query",field="town",outcome="ok"\} 1$/m);
    expect(metrics).toContain(`gastown_graphql_operation_duration_seconds_count{operation="mutation",field="registerRig",outcome="${code}"} 1`);
    expect(metrics).toMatch(/^gastown_graphql_operation_duration_seconds_count\{operation="mutation",field="registerRig",outcome="ok"\} 1$/m);
    expect(metrics).toMatch(/^gastown_graphql_operation_cost_count\{operation="query",field="town"\} 1$/m);
    expect(metrics).not.toContain(town.id);
  });

  it("given a caller's traceparent, when a mutation sends its command, then the command is sent inside the operation's span of the caller's trace", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await fetch(harness.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${town.token}`, traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      body: JSON.stringify({ query: REGISTER_RIG, variables: { input: { name: 'api', gitUrl: 'https://git.example.com/acme/api.git', defaultBranch: 'main' } } }),
    });
    expect(((await response.json()) as { errors?: unknown }).errors).toBeUndefined();

    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    const operation = spans.find((s) => s.name === 'graphql mutation registerRig');
    const command = spans.find((s) => s.name === 'send command');
    expect(operation).toBeDefined();
    expect(command?.parentSpanContext?.spanId).toBe(operation?.spanContext().spanId);
    expect(operation?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
  });

  /** The JSON lines the gateway writes while `work` runs, as a log collector would read them. */
  async function jsonLogsOf(work: () => Promise<void>): Promise<Record<string, unknown>[]> {
    const written: string[] = [];
    for (const stream of [process.stdout, process.stderr]) {
      jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      });
    }
    harness.gateway.app.useLogger(new ServiceLogger(['warn', 'error'], 'json', 'gateway'));
    try {
      await work();
    } finally {
      harness.gateway.app.useLogger(new ServiceLogger(['error'], 'text', 'gateway'));
      jest.restoreAllMocks();
    }
    return written
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  it('given JSON logs, when an operation fails unexpectedly, then its error line carries the town of the token and never the token', async () => {
    const lines = await jsonLogsOf(async () => {
      jest.spyOn(harness.gateway.app.get(TownService), 'get').mockRejectedValueOnce(new Error('the read model is gone'));
      const failed = await harness.gql(town.token, '{ town { id } }');
      expect(failed.errors?.[0]?.extensions.code).toBe('INTERNAL');
    });
    const line = lines.find((l) => l['message'] === 'unexpected error at town: the read model is gone');
    expect(line).toMatchObject({ level: 'error', service: 'gateway', context: 'GraphQL', townId: town.id });
    expect(JSON.stringify(lines)).not.toContain(town.token);
  });

  it("given JSON logs, when a convoy mutation's read model is late, then the warning carries the town and the convoy", async () => {
    const { registerRig } = await harness.ok<{ registerRig: { id: string } }>(town.token, REGISTER_RIG, {
      input: { name: 'late', gitUrl: 'https://git.example.com/acme/late.git', defaultBranch: 'main' },
    });
    const lines = await jsonLogsOf(async () => {
      jest.spyOn(harness.gateway.app.get(ReadModelWaiter), 'waitFor').mockRejectedValueOnce(new ReadModelTimeoutError('a subject', 7, 10_000, null));
      const late = await harness.gql(town.token, 'mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { id } }', {
        input: { title: 'Late', defaultRigId: registerRig.id, tasks: [{ title: 'only' }] },
      });
      expect(late.errors?.[0]?.extensions.code).toBe('UNAVAILABLE');
    });
    const line = lines.find((l) => typeof l['message'] === 'string' && l['message'].startsWith('SlingBatch '));
    expect(line).toMatchObject({ level: 'warn', context: 'CommandService', townId: town.id, convoyId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(JSON.stringify(lines)).not.toContain(town.token);
  });

  it('given graphql-ws, when subscriptions start (one refused) and a query is sent on the socket (refused: queries go over HTTP), then each is counted and has its span, with the town on the span only', async () => {
    const QUERIES = 'gastown_graphql_operation_duration_seconds_count{operation="query",field="town",outcome="BAD_USER_INPUT"} ';
    const queriesIn = (metrics: string) => Number(metrics.split('\n').find((line) => line.startsWith(QUERIES))?.slice(QUERIES.length) ?? 0);
    const queriesBefore = queriesIn(await register.metrics());
    const live = openLiveClient(harness.url, town.token);
    try {
      const CONVOY_CHANGED = 'subscription ($id: ID) { convoyChanged(convoyId: $id) { sequence } }';
      const started = new Received(live.client, CONVOY_CHANGED, {});
      const refused = new Received(live.client, CONVOY_CHANGED, { id: '00000000-0000-4000-8000-000000000000' });
      const query = new Received<{ town: { id: string } }>(live.client, '{ town { id } }', {});
      await eventually('both subscription starts to be counted and the query answered', async () => {
        const metrics = await register.metrics();
        return (
          metrics.includes('gastown_graphql_subscription_starts_total{field="convoyChanged",outcome="ok"} 1') &&
          metrics.includes('gastown_graphql_subscription_starts_total{field="convoyChanged",outcome="NOT_FOUND"} 1') &&
          query.completed
        );
      });
      expect(refused.errors[0]?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
      expect(query.data).toEqual([]);
      expect(query.errors[0]?.[0]).toMatchObject({
        message: 'queries are sent over HTTP (POST /graphql), where their cost and rate are limited; the WebSocket carries subscriptions only',
        extensions: { code: 'BAD_USER_INPUT' },
      });
      started.stop();

      const metrics = await register.metrics();
      expect(queriesIn(metrics)).toBe(queriesBefore + 1);
      expect(metrics).not.toContain(town.id);
      const spans = exporter.getFinishedSpans().filter((s) => s.attributes['gastown.graphql.transport'] === 'graphql-ws');
      const subscriptions = spans.filter((s) => s.name === 'graphql subscription convoyChanged');
      expect(subscriptions.map((s) => s.status.code).sort()).toEqual([SpanStatusCode.UNSET, SpanStatusCode.ERROR]);
      expect(subscriptions.map((s) => s.attributes['gastown.town_id'])).toEqual([town.id, town.id]);
      expect(spans.map((s) => s.name)).toContain('graphql query town');
    } finally {
      await live.dispose();
    }
  });
});
