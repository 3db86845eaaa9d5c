import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { register } from 'prom-client';
import { GatewayHarness, type TestTown } from '../gateway.fixtures';

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
});
