import { DiscardPolicy, StorageType } from '@nats-io/jetstream';
import { TEST_NATS_URL, testNamespace } from '@gastown/testing';
import { claimCheckBucket, connectBus, deleteTopology, ensureTopology, type Bus } from './bus.connection';
import { assertServerVersion, isVersionAtLeast } from './jetstream.capabilities';
import { recordingLogger } from './testing/event.fixture';

describe('bus connection and topology', () => {
  let bus: Bus;
  const logger = recordingLogger();

  beforeAll(async () => {
    bus = await connectBus({ servers: TEST_NATS_URL, namespace: testNamespace(), name: 'bus-connection-spec', logger });
  });

  afterAll(async () => {
    await deleteTopology(bus);
    await bus.close();
  });

  it('logs the server version on connect', () => {
    expect(logger.lines[0]).toMatch(/^info connected to nats-server \d+\.\d+\.\d+ \(jetstream on\)$/);
  });

  it('creates the event stream, the DLQ stream and both buckets, and can run again concurrently', async () => {
    await Promise.all([ensureTopology(bus), ensureTopology(bus)]);
    await ensureTopology(bus);

    const events = await bus.jsm.streams.info(bus.names.eventStream);
    expect(events.config).toMatchObject({
      subjects: [bus.names.allEvents],
      storage: StorageType.File,
      discard: DiscardPolicy.New,
      max_msgs: -1,
      max_bytes: -1,
      max_age: 0,
      duplicate_window: 120_000 * 1e6,
      allow_direct: true,
      deny_delete: true,
      deny_purge: true,
    });
    const dlq = await bus.jsm.streams.info(bus.names.dlqStream);
    expect(dlq.config.subjects).toEqual([
      `${bus.names.namespace}.dlq.>`,
      `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${bus.names.eventStream}.*`,
      `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${bus.names.jobStream}.*`,
      `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${bus.names.webhookLogStream}.*`,
    ]);
    const deliveries = await bus.jsm.streams.info(bus.names.webhookLogStream);
    expect(deliveries.config.subjects).toEqual([bus.names.allWebhookLogs]);
    expect(deliveries.config.max_age).toBe(30 * 24 * 60 * 60_000 * 1e6);
    const jobs = await bus.jsm.streams.info(bus.names.jobStream);
    expect(jobs.config.retention).toBe('workqueue');
    const payloads = await bus.jsm.streams.info(`OBJ_${bus.names.payloadBucket}`);
    expect(payloads.config.max_age).toBe(0);
    const claims = await bus.jsm.streams.info(`OBJ_${claimCheckBucket(bus.names)}`);
    expect(claims.config.max_age).toBeGreaterThan(0);
  });

  it('accepts this server and would refuse one older than 2.9.0', () => {
    expect(assertServerVersion(bus)).toBe(bus.nc.info?.version);
    expect(isVersionAtLeast('2.9.10', '2.9.0')).toBe(true);
    expect(isVersionAtLeast('2.10.0-beta.1', '2.9.0')).toBe(true);
    expect(isVersionAtLeast('2.8.4', '2.9.0')).toBe(false);
    expect(isVersionAtLeast('unknown', '2.9.0')).toBe(false);
  });
});
