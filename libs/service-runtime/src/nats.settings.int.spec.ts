import { randomUUID } from 'node:crypto';
import type { Bus } from '@gastown/bus';
import { startOperatorModeNats, testNamespace, type OperatorModeNats } from '@gastown/testing';
import { busProvider } from './bus.provider';
import { loadNatsConnection } from './nats.settings';

/**
 * The unit spec proves NATS_CREDS_FILE is validated; this one that what the settings make of it
 * is accepted by a nats-server in operator (JWT) mode, with the service's own inbox prefix.
 */
describe('NATS_CREDS_FILE against a nats-server in operator mode', () => {
  const namespace = testNamespace();
  let nats: OperatorModeNats;
  let bus: Bus | undefined;

  beforeAll(async () => {
    nats = await startOperatorModeNats('gateway');
  });

  afterAll(async () => {
    try {
      await bus?.close();
    } finally {
      await nats?.stop();
    }
  });

  it('given NATS_URL and NATS_CREDS_FILE, when a service loads its NATS settings and provides its bus with them, then the topology is in its account and an event is stored', async () => {
    const settings = loadNatsConnection('gateway', 'gateway', { NATS_URL: nats.server.url, GT_NAMESPACE: namespace, NATS_CREDS_FILE: nats.credsFile });
    expect(settings.credentials).toEqual({ credsFile: nats.credsFile, inboxPrefix: `_INBOX_${namespace}_gateway` });

    bus = await busProvider({ ...settings, name: 'nats-settings-spec' }).useFactory();
    const subject = bus.names.convoyEvents(randomUUID(), randomUUID());
    const ack = await bus.js.publish(subject, 'probe', { msgID: randomUUID() });
    expect(ack.stream).toBe(bus.names.eventStream);
  });
});
