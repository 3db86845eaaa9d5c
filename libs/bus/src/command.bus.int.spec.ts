import { Objm } from '@nats-io/obj';
import { eventually, TEST_NATS_URL, testNamespace } from '@gastown/testing';
import { claimCheckBucket, connectBus, deleteTopology, ensureTopology, type Bus } from './bus.connection';
import { NoResponderError, RequestTimeoutError } from './bus.errors';
import { CommandClient, serveCommands, type CommandServer } from './command.bus';
import { recordingLogger } from './testing/event.fixture';

describe('command request/reply', () => {
  let bus: Bus;
  let client: CommandClient;
  const servers: CommandServer[] = [];
  const logger = recordingLogger();

  beforeAll(async () => {
    bus = await connectBus({ servers: TEST_NATS_URL, namespace: testNamespace(), name: 'bus-command-spec', logger });
    await ensureTopology(bus);
    client = new CommandClient(bus);
  });

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  afterAll(async () => {
    await deleteTopology(bus);
    await bus.close();
  });

  const claimChecksLeft = async () => (await (await new Objm(bus.js).open(claimCheckBucket(bus.names))).list()).length;

  it('carries a 2 MB request and a 2 MB reply through claim checks and leaves none behind', async () => {
    const subject = bus.names.commands.convoy;
    servers.push(
      serveCommands(bus, subject, 'convoy', async (payload) => {
        const { body } = payload as { body: string };
        return { ok: true, received: body.length, echo: body.split('').reverse().join('') };
      }),
    );
    const body = 'plan-'.repeat(400_000);
    expect(body.length).toBe(2_000_000);

    const started = Date.now();
    const reply = await client.request<{ ok: boolean; received: number; echo: string }>(subject, { body });
    const elapsed = Date.now() - started;

    expect(reply.ok).toBe(true);
    expect(reply.received).toBe(2_000_000);
    expect(reply.echo).toBe(body.split('').reverse().join(''));
    expect(await claimChecksLeft()).toBe(0);
    console.info(`2 MB request + 2 MB reply: ${elapsed} ms`);
  });

  it('answers small requests inline', async () => {
    const subject = bus.names.commands.town;
    servers.push(serveCommands(bus, subject, 'town', async (payload) => ({ ok: true, got: payload })));
    await expect(client.request(subject, { name: 'town' })).resolves.toEqual({ ok: true, got: { name: 'town' } });
    await expect(client.request(subject, null)).resolves.toEqual({ ok: true, got: null });
  });

  it('tells the caller clearly when no service listens', async () => {
    const subject = `${bus.names.commands.convoy}.nobody`;
    const started = Date.now();
    const request = client.request(subject, { body: 'x'.repeat(2_000_000) });
    await expect(request).rejects.toThrow(NoResponderError);
    await expect(request).rejects.toThrow(`no convoy service is listening on ${subject}`);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await claimChecksLeft()).toBe(0);
  });

  it('reports a slow service as a timeout', async () => {
    const subject = `${bus.names.commands.convoy}.slow`;
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    servers.push(serveCommands(bus, subject, 'slow', () => held.then(() => ({ ok: true }))));
    await expect(client.request(subject, {}, { timeoutMs: 200 })).rejects.toThrow(RequestTimeoutError);
    release();
  });

  it('turns a thrown error into an INTERNAL reply without a stack', async () => {
    const subject = `${bus.names.commands.convoy}.broken`;
    servers.push(
      serveCommands(bus, subject, 'broken', async () => {
        throw new Error('the decider blew up');
      }),
    );
    const reply = await client.request(subject, {});
    expect(reply).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'the decider blew up' } });
    expect(logger.lines.some((l) => l.includes('the decider blew up'))).toBe(true);
  });

  it('never follows a claim check into the event payload bucket', async () => {
    const subject = `${bus.names.commands.convoy}.claims`;
    const payloads = await new Objm(bus.js).open(bus.names.payloadBucket);
    const info = await payloads.putBlob({ name: 'evt/some/commit' }, new TextEncoder().encode('[]'));
    let called = false;
    servers.push(
      serveCommands(bus, subject, 'claims', async () => {
        called = true;
        return { ok: true };
      }),
    );

    const forged = { $payloadRef: { bucket: bus.names.payloadBucket, name: info.name, size: 2, sha256: 'x' } };
    const reply = await client.request(subject, forged);

    expect(reply).toEqual({ ok: false, error: { code: 'INTERNAL', message: `claim check points outside ${claimCheckBucket(bus.names)}` } });
    expect(called).toBe(false);
    expect(await payloads.info(info.name)).toMatchObject({ deleted: false });
  });

  it('runs handlers concurrently but never more than the bound', async () => {
    const subject = `${bus.names.commands.convoy}.busy`;
    let active = 0;
    let peak = 0;
    servers.push(
      serveCommands(
        bus,
        subject,
        'busy',
        async (payload) => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((resolve) => setTimeout(resolve, 30));
          active--;
          return payload;
        },
        { concurrency: 3 },
      ),
    );
    const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => client.request<number>(subject, i)));
    expect(replies).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(peak).toBe(3);
  });

  it('finishes in-flight requests when stopped', async () => {
    const subject = `${bus.names.commands.convoy}.draining`;
    let started = 0;
    const server = serveCommands(bus, subject, 'draining', async () => {
      started++;
      await new Promise((resolve) => setTimeout(resolve, 100));
      return { ok: true };
    });
    const pending = client.request(subject, {});
    await eventually('the handler to start', async () => started === 1);
    await server.stop();
    await expect(pending).resolves.toEqual({ ok: true });
    await expect(client.request(subject, {})).rejects.toThrow(NoResponderError);
  });
});
