import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { eventually, TEST_NATS_URL, testNamespace } from '@gastown/testing';
import { connectBus, deleteTopology, ensureTopology, type Bus } from '../bus.connection';
import { CommandClient, serveCommands, type CommandServer } from '../command.bus';
import { runConsumer, runMessageConsumer, type RunningConsumer } from '../consumer.runner';
import { EventStore, type StoredCommit } from '../event.store';
import { publishWork } from '../job.publisher';
import { convoyStarted, newConvoyScope, recordingLogger } from '../testing/event.fixture';
import { currentLogFields } from './log.fields';
import { inSpan, SpanKind } from './trace.context';

/**
 * A real NATS server and an in-memory exporter in this process: what one side sends inside a
 * span, the other side handles inside a span of the same trace, for every kind of hop the bus has.
 */
describe('trace context across NATS hops', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let bus: Bus;
  let store: EventStore;
  const running: { stop(): Promise<void> }[] = [];

  beforeAll(async () => {
    provider.register();
    bus = await connectBus({ servers: TEST_NATS_URL, namespace: testNamespace(), name: 'bus-trace-spec', logger: recordingLogger() });
    await ensureTopology(bus);
    store = new EventStore(bus);
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.stop()));
    exporter.reset();
  });

  afterAll(async () => {
    await deleteTopology(bus);
    await bus.close();
    await provider.shutdown();
    trace.disable();
  });

  const activeTraceId = () => trace.getActiveSpan()?.spanContext().traceId;
  const spanNames = (traceId: string) => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId).map((s) => s.name);

  it('given a command sent inside a span, when the server handles it, then the handler runs in the same trace', async () => {
    const subject = `${bus.names.namespace}.cmd.trace-spec.${randomUUID().slice(0, 8)}`;
    let seenByHandler: string | undefined;
    const server: CommandServer = serveCommands(bus, subject, 'trace-spec', async () => {
      seenByHandler = activeTraceId();
      return { ok: true };
    });
    running.push(server);
    await bus.nc.flush();

    const sentIn = await inSpan('gateway operation', {}, async () => {
      await new CommandClient(bus).request(subject, { type: 'Ping' });
      return activeTraceId();
    });

    expect(sentIn).toMatch(/^[0-9a-f]{32}$/);
    expect(seenByHandler).toBe(sentIn);
    expect(spanNames(sentIn as string)).toEqual(expect.arrayContaining(['gateway operation', 'send command', 'handle command']));
  });

  it('given events appended inside a span, when a durable consumer handles the commit, then it continues that trace, names the town and convoy, and the stored body carries no trace', async () => {
    const scope = newConvoyScope(bus.names);
    const seen: { traceId?: string; commit: StoredCommit; fields: object }[] = [];
    running.push(
      (await runConsumer(bus, {
        durable: `trace_${randomUUID().slice(0, 8)}`,
        filterSubject: bus.names.townConvoyEvents(scope.townId),
        maxDeliver: 3,
        ackWaitMs: 5_000,
        backoffMs: [50],
        handler: async (commit) => {
          seen.push({ traceId: activeTraceId(), commit, fields: currentLogFields() });
        },
      })) as RunningConsumer,
    );

    const { appendedIn, seq } = await inSpan('convoy command', { kind: SpanKind.SERVER }, async () => {
      const result = await store.append(scope.subject, { commitId: randomUUID(), expectedSeq: 0, events: [convoyStarted(scope)] });
      return { appendedIn: activeTraceId() as string, seq: result.seq };
    });

    await eventually('the commit to be handled', async () => seen.length > 0);
    expect(seen[0].traceId).toBe(appendedIn);
    expect(seen[0].commit.trace?.traceparent).toContain(appendedIn);
    expect(seen[0].fields).toEqual({ townId: scope.townId, convoyId: scope.convoyId });
    expect(spanNames(appendedIn)).toEqual(expect.arrayContaining(['convoy command', 'publish events']));
    await eventually('the consumer span to end', async () => spanNames(appendedIn).some((name) => name.startsWith('process trace_')));

    // The trace context is in the message's headers only: the stored commit is the shipped shape.
    const stored = await bus.jsm.streams.getMessage(bus.names.eventStream, { seq });
    expect(new TextDecoder().decode(stored?.data)).not.toMatch(/traceparent|tracestate/);
    expect(stored?.header.get('traceparent')).toContain(appendedIn);
    // Read back from history, the commit still knows the trace it was decided in.
    expect((await store.readSubject(scope.subject))[0].trace?.traceparent).toContain(appendedIn);
  });

  it('given a job published inside a span, when a job consumer runs it, then it continues that trace', async () => {
    const rigId = randomUUID();
    const subject = bus.names.job('branch', rigId);
    let runIn: string | undefined;
    running.push(
      await runMessageConsumer(bus, {
        durable: `trace_job_${randomUUID().slice(0, 8)}`,
        stream: bus.names.jobStream,
        filterSubject: subject,
        maxDeliver: 3,
        ackWaitMs: 5_000,
        backoffMs: [50],
        handler: async () => {
          runIn = activeTraceId();
        },
      }),
    );

    const publishedIn = await inSpan('dispatch', {}, async () => {
      await publishWork(bus, subject, { kind: 'branch', rigId }, { span: 'publish job', msgID: randomUUID() });
      return activeTraceId();
    });

    await eventually('the job to run', async () => runIn !== undefined);
    expect(runIn).toBe(publishedIn);
  });
});
