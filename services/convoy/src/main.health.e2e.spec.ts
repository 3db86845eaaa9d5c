import { mkdtempSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bus, CommandClient, connectBus, deleteTopology } from '@gastown/bus';
import { generateTownToken, hashTownToken, type CommandReply } from '@gastown/contracts';
import { eventually, freePort, startNatsServer, startService, testNamespace, type NatsServerProcess, type ServiceProcess } from '@gastown/testing';

interface Probe {
  status: number;
  body: { status: string; checks: { name: string; ok: boolean; reason?: string }[] };
}

/**
 * The convoy service as a process on a nats-server of this spec's own: its health listener says
 * live and ready, goes 503 naming NATS the moment the server dies (and ready again once it is
 * back), /metrics shows the command just handled by type and outcome, and its JSON log lines carry
 * the town the command was about as a field of their own.
 */
describe('convoy service health, metrics and logs', () => {
  const namespace = testNamespace();
  const storeDir = mkdtempSync(join(tmpdir(), 'gt-convoy-health-'));
  let nats: NatsServerProcess;
  let bus: Bus;
  let service: ServiceProcess;
  let health: string;

  beforeAll(async () => {
    nats = await startNatsServer({ port: await freePort(), storeDir });
    bus = await connectBus({ servers: nats.url, namespace, name: 'convoy-health-e2e', logger: { info: () => undefined, warn: () => undefined, error: () => undefined } });
    const port = await freePort();
    health = `http://127.0.0.1:${port}`;
    service = await startService('convoy', {
      env: { NATS_URL: nats.url, GT_NAMESPACE: namespace, CONVOY_HEALTH_PORT: String(port), GT_LOG_FORMAT: 'json' },
      readyText: 'convoy service ready',
    });
  });

  afterAll(async () => {
    await service?.stop();
    await deleteTopology(bus).catch(() => undefined);
    await bus?.close();
    await nats?.kill();
    rmSync(storeDir, { recursive: true, force: true });
  });

  const probe = async (path: string): Promise<Probe> => {
    const response = await fetch(`${health}${path}`);
    return { status: response.status, body: (await response.json()) as Probe['body'] };
  };

  it('given a running service, when probed and scraped after a command, then it is live and ready and the command shows by type and outcome', async () => {
    expect((await probe('/livez')).status).toBe(200);
    const ready = await probe('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.map((c) => [c.name, c.ok])).toEqual([
      ['nats', true],
      ['command subscriptions', true],
      ['event stream', true],
    ]);

    const townId = randomUUID();
    const reply = await new CommandClient(bus).request<CommandReply>(bus.names.commands.town, {
      type: 'CreateTown',
      commandId: randomUUID(),
      townId,
      actor: { kind: 'user', id: 'health-e2e' },
      data: { name: 'acme', tokenHash: hashTownToken(generateTownToken()) },
    });
    expect(reply.ok).toBe(true);
    await new CommandClient(bus).request(bus.names.commands.convoy, { type: 'NoSuchCommand', townId });

    const metrics = await (await fetch(`${health}/metrics`)).text();
    expect(metrics).toContain('gastown_command_duration_seconds_count{service="convoy",command="CreateTown",outcome="OK"} 1');
    // A type the contracts do not know is counted, under one label value.
    expect(metrics).toContain('gastown_command_duration_seconds_count{service="convoy",command="unknown",outcome="BAD_USER_INPUT"} 1');
    expect(metrics).toMatch(/^process_cpu_seconds_total\{service="convoy"\} /m);
    expect(metrics).not.toContain(townId);

    // The log line of the command is JSON, with the town as a field and not only in the text.
    const line = service
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => String(l['message']).startsWith('CreateTown'));
    expect(line).toMatchObject({ level: 'info', service: 'convoy', context: 'convoy', townId });
    expect(new Date(String(line?.['time'])).getTime()).toBeGreaterThan(0);
  });

  it('given NATS dies, when probed, then it reads not ready naming NATS while staying live, and ready again once NATS is back', async () => {
    await nats.kill();
    const down = await eventually('readyz to fail', async () => {
      const p = await probe('/readyz');
      return p.status === 503 ? p : null;
    }, { timeoutMs: 10_000, intervalMs: 100 });
    expect(down.body.status).toBe('not ready');
    expect(down.body.checks.find((c) => c.name === 'nats')).toMatchObject({ ok: false, reason: expect.stringMatching(/disconnected from NATS since|NATS did not answer/) });
    expect((await probe('/livez')).status).toBe(200);

    nats = await startNatsServer({ port: nats.port, storeDir });
    await eventually('readyz to pass again', async () => (await probe('/readyz')).status === 200, { timeoutMs: 20_000, intervalMs: 200 });
  });
});
