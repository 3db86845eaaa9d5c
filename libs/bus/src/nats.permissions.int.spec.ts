import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kvm } from '@nats-io/kv';
import { freePort, startNatsServer, testNamespace, type NatsServerProcess } from '@gastown/testing';
import { connectBus, ensureTopology, type Bus } from './bus.connection';
import { EventStore } from './event.store';
import { HoldsRegistry, type HoldRecord } from './holds.registry';
import { NATS_SERVICES, natsAuthorizationConfig, natsCredentialsOf, natsUserOf, type NatsService, type NatsUser } from './nats.permissions';
import { readRawSubject } from './subject.reader';
import { convoyStarted, newConvoyScope, recordingLogger } from './testing/event.fixture';

/** The server's refusal, as the client reports it on the request that was refused. */
const REFUSED = /Permissions Violation for Publish/;

describe('the bus on a nats-server with the generated users and permissions', () => {
  const namespace = testNamespace();
  const users = Object.fromEntries(
    NATS_SERVICES.map((service) => [service, { user: natsUserOf(service, namespace), password: randomBytes(24).toString('base64url') }]),
  ) as Record<NatsService, NatsUser>;
  const buses: Bus[] = [];
  let storeDir: string;
  let server: NatsServerProcess;
  let url: string;

  const connectAs = async (service: NatsService): Promise<Bus> => {
    const bus = await connectBus({
      servers: url,
      namespace,
      name: `permissions-spec-${service}`,
      logger: recordingLogger(),
      credentials: natsCredentialsOf(service, users[service], namespace),
    });
    buses.push(bus);
    return bus;
  };

  beforeAll(async () => {
    storeDir = await mkdtemp(join(tmpdir(), 'gt-nats-auth-'));
    server = await startNatsServer({ port: await freePort(), storeDir, config: natsAuthorizationConfig(users, namespace) });
    url = server.url;
    // The convoy service owns the topology; the others only find it there.
    await ensureTopology(await connectAs('convoy'));
  });

  afterAll(async () => {
    try {
      for (const bus of buses) await bus.close().catch(() => undefined);
    } finally {
      await server?.kill();
      if (storeDir) await rm(storeDir, { recursive: true, force: true });
    }
  });

  it('given no credentials or a wrong password, when a client connects, then the server refuses it', async () => {
    await expect(connectBus({ servers: url, namespace, name: 'anonymous', logger: recordingLogger() })).rejects.toThrow(/authorization/i);
    await expect(
      connectBus({ servers: url, namespace, name: 'guesser', logger: recordingLogger(), credentials: { user: users.convoy.user, password: 'guess' } }),
    ).rejects.toThrow(/authorization/i);
  });

  it('given each service user, when it starts, then it finds the whole topology and does its own job', async () => {
    const convoy = await connectAs('convoy');
    const dispatcher = await connectAs('dispatcher');
    const runner = await connectAs('git-runner');
    const gateway = await connectAs('gateway');
    for (const bus of [dispatcher, runner, gateway]) await ensureTopology(bus);

    const scope = newConvoyScope(convoy.names);
    const appended = await new EventStore(convoy).append(scope.subject, { commitId: randomUUID(), expectedSeq: 0, events: [convoyStarted(scope)] });

    // Every reader sees the commit, one message at a time and through an ordered consumer.
    for (const reader of [dispatcher, runner, gateway]) {
      const commits = await new EventStore(reader).readSubject(scope.subject);
      expect(commits.map((c) => c.seq)).toEqual([appended.seq]);
      expect(await readRawSubject(reader, reader.names.eventStream, scope.subject, 0)).toHaveLength(1);
    }

    const rigId = randomUUID();
    await dispatcher.js.publish(dispatcher.names.job('agent', rigId), JSON.stringify({ probe: true }), { msgID: randomUUID() });
    await runner.jsm.consumers.add(runner.names.jobStream, { durable_name: 'probe-agent', filter_subject: runner.names.job('agent', rigId), ack_policy: 'explicit' as never });
    const job = await (await runner.js.consumers.get(runner.names.jobStream, 'probe-agent')).next({ expires: 5_000 });
    expect(job?.json()).toEqual({ probe: true });
    await job?.ackAck();

    const leases = await new Kvm(runner.js).create(runner.names.leaseBucket, { history: 1 });
    const revision = await leases.create(`rig.${rigId}`, 'runner-1');
    expect(await leases.update(`rig.${rigId}`, 'runner-1', revision)).toBeGreaterThan(revision);
  });

  it('given a hostile git-runner or gateway, when they append an event, publish a job or shrink the event stream, then the server refuses and the victim sees nothing changed', async () => {
    const convoy = await connectAs('convoy');
    const runner = await connectAs('git-runner');
    const gateway = await connectAs('gateway');
    const victim = newConvoyScope(convoy.names);
    await new EventStore(convoy).append(victim.subject, { commitId: randomUUID(), expectedSeq: 0, events: [convoyStarted(victim)] });

    for (const hostile of [runner, gateway]) {
      await expect(
        new EventStore(hostile).append(victim.subject, { commitId: randomUUID(), expectedSeq: 1, events: [convoyStarted(victim)] }),
      ).rejects.toThrow(REFUSED);
      await expect(hostile.js.publish(hostile.names.job('land', randomUUID()), '{}')).rejects.toThrow(REFUSED);
      await expect(hostile.jsm.streams.update(hostile.names.eventStream, { max_msgs: 1 })).rejects.toThrow(REFUSED);
      await expect(hostile.jsm.streams.delete(hostile.names.eventStream)).rejects.toThrow(REFUSED);
    }

    expect((await new EventStore(convoy).readSubject(victim.subject)).map((c) => c.events[0].type)).toEqual(['ConvoyStarted']);
    expect((await convoy.jsm.streams.info(convoy.names.eventStream)).config.max_msgs).toBe(-1);
    expect((await convoy.jsm.streams.info(convoy.names.jobStream)).state.messages).toBe(0);
  });

  it("given a hostile git-runner, when it listens to every inbox, the gateway's inbox or the event subjects, then the server refuses each subscription and it receives none of the gateway's reads", async () => {
    const convoy = await connectAs('convoy');
    const runner = await connectAs('git-runner');
    const gateway = await connectAs('gateway');
    const received: string[] = [];
    const refused: string[] = [];
    const spies = ['_INBOX.>', `_INBOX_${namespace}_gateway.>`, runner.names.allEvents, '>'].map((subject) =>
      runner.nc.subscribe(subject, {
        callback: (error, message) => {
          if (error) refused.push(subject);
          else received.push(message.subject);
        },
      }),
    );

    const scope = newConvoyScope(convoy.names);
    await new EventStore(convoy).append(scope.subject, { commitId: randomUUID(), expectedSeq: 0, events: [convoyStarted(scope)] });
    expect(await new EventStore(gateway).readSubject(scope.subject)).toHaveLength(1);
    await runner.nc.flush();

    expect(refused.sort()).toEqual(spies.map((s) => s.getSubject()).sort());
    expect(received).toEqual([]);
  });

  it('given a hostile git-runner, when it reads the webhook delivery log or the dead letters, then the server refuses: it has no need of them', async () => {
    const runner = await connectAs('git-runner');
    await expect(runner.jsm.streams.getMessage(runner.names.webhookLogStream, { seq: 1 })).rejects.toThrow(REFUSED);
    await expect(runner.js.consumers.get(runner.names.webhookLogStream)).rejects.toThrow(REFUSED);
    await expect(runner.jsm.streams.getMessage(runner.names.dlqStream, { seq: 1 })).rejects.toThrow(REFUSED);
  });

  it('given a dispatcher hold, when the gateway asks for its retry, then the dispatcher sees the request and clears it, and neither the gateway nor a git-runner may write or forge a hold', async () => {
    const dispatcher = await connectAs('dispatcher');
    const gateway = await connectAs('gateway');
    const runner = await connectAs('git-runner');
    const scope = newConvoyScope(dispatcher.names);
    const hold: HoldRecord = {
      service: 'dispatcher',
      subject: scope.subject,
      seq: 3,
      townId: scope.townId,
      convoyId: scope.convoyId,
      reason: 'payload missing',
      since: new Date().toISOString(),
    };
    const held = new HoldsRegistry(dispatcher);
    await held.hold(hold);
    const requests: string[] = [];
    const stop = await held.watchReleases(
      'dispatcher',
      (subject, request) => {
        requests.push(`${request.action} ${subject}`);
        void held.clearRelease('dispatcher', subject);
      },
      () => undefined,
    );

    const operator = new HoldsRegistry(gateway);
    expect(await operator.holds()).toEqual([hold]);
    const outcome = await operator.release('dispatcher', scope.subject, { action: 'retry', seq: 3, requestedAt: new Date().toISOString() }, 10_000);
    stop();
    expect(outcome).toEqual({ answered: true, hold });
    expect(requests).toEqual([`retry ${scope.subject}`]);

    await expect(operator.hold({ ...hold, reason: 'forged' })).rejects.toThrow(REFUSED);
    await expect(operator.clearHold('dispatcher', scope.subject)).rejects.toThrow(REFUSED);
    await expect(new HoldsRegistry(runner).requestRelease('dispatcher', scope.subject, { action: 'retry', seq: 3, requestedAt: 'now' })).rejects.toThrow(REFUSED);
    expect(await operator.heldBy('dispatcher', scope.subject)).toEqual(hold);
  });
});
