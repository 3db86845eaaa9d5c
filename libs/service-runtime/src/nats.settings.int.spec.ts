import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bus } from '@gastown/bus';
import { freePort, natsOperatorMode, startNatsServer, testNamespace, type NatsServerProcess } from '@gastown/testing';
import { busProvider } from './bus.provider';
import { loadNatsConnection } from './nats.settings';

/**
 * The unit spec proves NATS_CREDS_FILE is validated; this one that what the settings make of it
 * is accepted by a nats-server in operator (JWT) mode, with the service's own inbox prefix.
 */
describe('NATS_CREDS_FILE against a nats-server in operator mode', () => {
  const namespace = testNamespace();
  let dir: string;
  let server: NatsServerProcess;
  let credsFile: string;
  let bus: Bus | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gt-nats-creds-settings-'));
    const operator = await natsOperatorMode();
    credsFile = join(dir, 'gateway.creds');
    await writeFile(credsFile, await operator.userCreds('gateway'), { mode: 0o600 });
    server = await startNatsServer({ port: await freePort(), storeDir: dir, config: operator.config });
  });

  afterAll(async () => {
    try {
      await bus?.close();
    } finally {
      await server?.kill();
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  });

  it('given NATS_URL and NATS_CREDS_FILE, when a service loads its NATS settings and provides its bus with them, then the topology is in its account and an event is stored', async () => {
    const settings = loadNatsConnection('gateway', 'gateway', { NATS_URL: server.url, GT_NAMESPACE: namespace, NATS_CREDS_FILE: credsFile });
    expect(settings.credentials).toEqual({ credsFile, inboxPrefix: `_INBOX_${namespace}_gateway` });

    bus = await busProvider({ ...settings, name: 'nats-settings-spec' }).useFactory();
    const subject = bus.names.convoyEvents(randomUUID(), randomUUID());
    const ack = await bus.js.publish(subject, 'probe', { msgID: randomUUID() });
    expect(ack.stream).toBe(bus.names.eventStream);
  });
});
