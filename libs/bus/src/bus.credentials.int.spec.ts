import { randomUUID } from 'node:crypto';
import { eventually, NATS_OPERATOR_ACCOUNT_STORAGE_BYTES, startOperatorModeNats, testNamespace, type OperatorModeNats } from '@gastown/testing';
import { connectBus, ensureTopology, type Bus } from './bus.connection';
import { EventStore } from './event.store';
import { convoyStarted, newConvoyScope, recordingLogger } from './testing/event.fixture';

/**
 * NATS_CREDS_FILE is how a service authenticates to a server in operator (JWT) mode, as `nsc`
 * sets one up. The server here trusts an operator made at test time and knows its accounts
 * only through their JWTs, so a connection that works proves the .creds file is read and signed
 * with as the server expects, and that JetStream is the account's own.
 */
describe('the bus on a nats-server in operator mode, with a .creds file', () => {
  const namespace = testNamespace();
  const buses: Bus[] = [];
  let nats: OperatorModeNats;

  const connectWith = async (credentials?: { credsFile: string }): Promise<Bus> => {
    const bus = await connectBus({ servers: nats.server.url, namespace, name: 'bus-credentials-spec', logger: recordingLogger(), ...(credentials ? { credentials } : {}) });
    buses.push(bus);
    return bus;
  };

  beforeAll(async () => {
    nats = await startOperatorModeNats('convoy');
  });

  afterAll(async () => {
    try {
      for (const bus of buses) await bus.close().catch(() => undefined);
    } finally {
      await nats?.stop();
    }
  });

  it('given the .creds file of a user of the JetStream account, when the bus connects with it, then it creates the topology in that account and an appended commit reads back', async () => {
    const bus = await connectWith({ credsFile: nats.credsFile });

    const account = await bus.jsm.getAccountInfo();
    expect(account.limits).toMatchObject({ max_storage: NATS_OPERATOR_ACCOUNT_STORAGE_BYTES, max_memory: NATS_OPERATOR_ACCOUNT_STORAGE_BYTES });
    await ensureTopology(bus);
    const streams = await bus.jsm.streams.names().next();
    expect(streams).toEqual(expect.arrayContaining([bus.names.eventStream, bus.names.dlqStream, bus.names.jobStream, bus.names.webhookLogStream]));

    const scope = newConvoyScope(bus.names);
    const store = new EventStore(bus);
    const started = convoyStarted(scope);
    const appended = await store.append(scope.subject, { commitId: randomUUID(), expectedSeq: 0, events: [started] });
    const commits = await store.readSubject(scope.subject);
    expect(commits.map((c) => ({ seq: c.seq, events: c.events }))).toEqual([{ seq: appended.seq, events: [started] }]);
  });

  it('given the .creds file of a user whose account the operator never signed, when the bus connects with it, then the server refuses it as an authorization violation', async () => {
    await expect(connectWith({ credsFile: nats.unknownAccountCredsFile })).rejects.toMatchObject({ name: 'AuthorizationError', message: 'Authorization Violation' });
    // The operator's side of the same refusal: the server looked the user's account up and found none.
    await eventually('the server to log why it refused the user', async () => nats.server.output().includes('Account fetch failed: account missing'));
  });

  it('given no credentials, when the bus connects, then the server refuses it as an authorization violation', async () => {
    await expect(connectWith()).rejects.toMatchObject({ name: 'AuthorizationError', message: 'Authorization Violation' });
  });
});
