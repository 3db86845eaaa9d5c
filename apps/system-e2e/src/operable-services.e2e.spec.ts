import { SystemHarness } from '@gastown/system-testing';
import { eventually, freePort, startHttpReceiver, type HttpReceiver } from '@gastown/testing';

interface ExportedSpan {
  readonly service: string;
  readonly traceId: string;
  readonly name: string;
}

/** The spans of every OTLP/HTTP JSON export the receiver got, with the service that sent each. */
function spansOf(receiver: HttpReceiver): ExportedSpan[] {
  type Attribute = { key: string; value: { stringValue?: string } };
  type Export = { resourceSpans?: { resource?: { attributes?: Attribute[] }; scopeSpans?: { spans?: { traceId: string; name: string }[] }[] }[] };
  return receiver.requests.flatMap((request) => {
    const body = JSON.parse(request.rawBody) as Export;
    return (body.resourceSpans ?? []).flatMap((resource) => {
      const service = resource.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
      return (resource.scopeSpans ?? []).flatMap((scope) => (scope.spans ?? []).map((span) => ({ service, traceId: span.traceId, name: span.name })));
    });
  });
}

/** The value of the sample of `name` that has all of `labels` (in whatever order they are printed), or undefined. */
function sample(metrics: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of metrics.split('\n')) {
    const match = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = new Map([...match[2].matchAll(/([a-z_]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(match[3]);
  }
  return undefined;
}

/**
 * The whole system with traces exported to an OTLP/HTTP receiver of the test's own and every
 * health listener on a port: one slingBatch is one trace from the gateway's mutation through the
 * convoy service, the projector, the dispatcher and the git-runner to the landing; every service
 * reads ready; and each exports the series of what it just did.
 */
describe('operable services: one trace per slingBatch, probes and metrics', () => {
  let receiver: HttpReceiver;
  let system: SystemHarness;
  const ports: Record<string, number> = {};

  beforeAll(async () => {
    receiver = await startHttpReceiver();
    for (const service of ['gateway', 'convoy', 'dispatcher', 'git-runner']) ports[service] = await freePort();
    system = await SystemHarness.start({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: new URL(receiver.url).origin,
        OTEL_BSP_SCHEDULE_DELAY: '100',
        GATEWAY_HEALTH_PORT: String(ports['gateway']),
        CONVOY_HEALTH_PORT: String(ports['convoy']),
        DISPATCHER_HEALTH_PORT: String(ports['dispatcher']),
        GIT_RUNNER_HEALTH_PORT: String(ports['git-runner']),
      },
    });
  });

  afterAll(async () => {
    await system?.close();
    await receiver?.close();
  });

  const scrape = async (service: string) => (await fetch(`http://127.0.0.1:${ports[service]}/metrics`)).text();

  it('given a slingBatch that lands, when the services have exported their spans, then one trace holds the mutation, the decision, the projection, the dispatch, the agent, the merge and the landing', async () => {
    const rigId = await system.registerRig('traced', system.origin().bare);
    const created = await system.slingBatch({ title: 'Traced', defaultRigId: rigId, tasks: [{ title: 'Only' }] });
    expect((await system.until(created.id, ['LANDED', 'FAILED', 'CANCELLED'])).status).toBe('LANDED');

    const expected = [
      'gastown-gateway: graphql mutation slingBatch',
      'gastown-convoy: handle SlingBatch',
      'gastown-gateway: process read-models',
      'gastown-dispatcher: dispatcher dispatch',
      'gastown-convoy: handle DispatchBead',
      'gastown-dispatcher: publish agent job',
      'gastown-git-runner: git-runner agent job',
      'gastown-git-runner: git-runner merge job',
      'gastown-dispatcher: dispatcher start-landing',
      'gastown-git-runner: git-runner land job',
      'gastown-convoy: handle RecordRigLanded',
    ];
    // Each service exports its own batches: wait until the last of them is in, then compare.
    let trace: ExportedSpan[] = [];
    const named = () => new Set(trace.map((s) => `${s.service}: ${s.name}`));
    await eventually(
      'the spans of the slingBatch, its dispatch, agent, merge and landing to be exported',
      async () => {
        const spans = spansOf(receiver);
        const root = spans.find((s) => s.name === 'graphql mutation slingBatch');
        trace = root ? spans.filter((s) => s.traceId === root.traceId) : [];
        return expected.every((name) => named().has(name));
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    ).catch(() => undefined);
    expect([...new Set(trace.map((s) => s.service))].sort()).toEqual(['gastown-convoy', 'gastown-dispatcher', 'gastown-gateway', 'gastown-git-runner']);
    expect(expected.filter((name) => !named().has(name))).toEqual([]);
  });

  it('given the convoy landed, when each service is probed and scraped, then all read ready and export what they did', async () => {
    for (const service of Object.keys(ports)) {
      const ready = await fetch(`http://127.0.0.1:${ports[service]}/readyz`);
      expect([service, ready.status]).toEqual([service, 200]);
    }
    const convoy = await scrape('convoy');
    expect(sample(convoy, 'gastown_command_duration_seconds_count', { service: 'convoy', command: 'SlingBatch', outcome: 'OK' })).toBe(1);
    const dispatcher = await scrape('dispatcher');
    expect(sample(dispatcher, 'gastown_dispatch_latency_seconds_count', { service: 'dispatcher' })).toBe(1);
    expect(sample(dispatcher, 'gastown_consumer_pending_messages', { service: 'dispatcher', consumer: 'dispatcher' })).toBeGreaterThanOrEqual(0);
    const runner = await scrape('git-runner');
    for (const kind of ['agent', 'merge', 'land']) {
      expect([kind, sample(runner, 'gastown_git_job_duration_seconds_count', { kind, outcome: 'ok' })]).toEqual([kind, expect.any(Number)]);
    }
    expect(sample(runner, 'gastown_agents', { state: 'running' })).toBe(0);
    // The convoy's one bead: one attempt, each of its steps measured once.
    for (const step of ['worktree', 'start', 'agent', 'size', 'commit', 'push', 'cleanup', 'submit']) {
      expect([step, sample(runner, 'gastown_polecat_step_duration_seconds_count', { step })]).toEqual([step, 1]);
    }
    expect(sample(runner, 'gastown_consumer_pending_messages', { consumer: 'git-runner-agent' })).toBe(0);
    const gateway = await scrape('gateway');
    expect(sample(gateway, 'gastown_graphql_operation_duration_seconds_count', { operation: 'mutation', field: 'slingBatch', outcome: 'ok' })).toBe(1);
    expect(sample(gateway, 'gastown_projector_lag_messages', { service: 'gateway' })).toBe(0);
    expect(sample(gateway, 'gastown_consumer_messages_total', { consumer: 'read-models', outcome: 'acked' })).toBeGreaterThan(0);
  });
});
