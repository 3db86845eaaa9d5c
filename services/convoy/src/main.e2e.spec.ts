import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Bus, CommandClient, connectBus, deleteTopology, EventStore } from '@gastown/bus';
import { CommandReply, convoyIdFor, generateTownToken, hashTownToken } from '@gastown/contracts';
import { TEST_NATS_URL, testNamespace } from '@gastown/testing';

const root = join(__dirname, '..', '..', '..');

function startService(env: Record<string, string>): { child: ChildProcess; ready: Promise<void>; output: () => string } {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join(__dirname, 'main.ts')], {
    cwd: root,
    env: { ...process.env, ...env, SWC_NODE_PROJECT: join(root, 'tsconfig.base.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('convoy service ready')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`convoy service exited with ${code}: ${output}`)));
  });
  // Only the caller that waits for readiness cares when the process exits first.
  ready.catch(() => undefined);
  return { child, ready, output: () => output };
}

function exitOf(child: ChildProcess): Promise<number | string | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
}

describe('convoy service process', () => {
  const namespace = testNamespace();
  let bus: Bus;

  beforeAll(async () => {
    bus = await connectBus({ servers: TEST_NATS_URL, namespace, name: 'convoy-e2e' });
  });
  afterAll(async () => {
    await deleteTopology(bus);
    await bus.close();
  });

  it('given a bad environment, when started, then it names each bad value and exits with 2', async () => {
    const { child, output } = startService({ NATS_URL: 'localhost:4222', CONVOY_MAX_TASKS: 'lots' });
    expect(await exitOf(child)).toBe(2);
    expect(output()).toMatch(/NATS_URL must look like nats:\/\/host:port/);
    expect(output()).toMatch(/CONVOY_MAX_TASKS must be a positive whole number, got "lots"/);
  });

  it('given the service is SIGKILLed after a command, when a new one starts and the client retries, then there is one effect', async () => {
    const env = { NATS_URL: TEST_NATS_URL, GT_NAMESPACE: namespace };
    const first = startService(env);
    await first.ready;
    const client = new CommandClient(bus);
    const townId = randomUUID();
    const rigId = randomUUID();
    const actor = { kind: 'user', id: 'e2e' };
    await client.request(bus.names.commands.town, { type: 'CreateTown', commandId: randomUUID(), townId, actor, data: { name: 'acme', tokenHash: hashTownToken(generateTownToken()) } });
    await client.request(bus.names.commands.town, { type: 'RegisterRig', commandId: randomUUID(), townId, actor, data: { rigId, name: 'web', gitUrl: '/srv/web.git', defaultBranch: 'main' } });
    const commandId = randomUUID();
    const command = { type: 'Sling', commandId, townId, convoyId: convoyIdFor(townId, commandId), actor, data: { title: 'Fix login', rigId } };
    const reply = await client.request<CommandReply>(bus.names.commands.convoy, command);
    expect(reply.ok).toBe(true);

    first.child.kill('SIGKILL');
    await exitOf(first.child);
    const second = startService(env);
    await second.ready;
    try {
      const retried = await client.request<CommandReply>(bus.names.commands.convoy, command);
      expect(retried).toMatchObject({ ok: true, duplicate: true, seq: reply.ok ? reply.seq : -1 });
      const subject = bus.names.convoyEvents(townId, convoyIdFor(townId, commandId));
      expect(await new EventStore(bus).readSubject(subject)).toHaveLength(1);
    } finally {
      // Nest runs the shutdown hooks (drain, close NATS) and then re-raises the signal.
      second.child.kill('SIGTERM');
      expect(await exitOf(second.child)).toBe('SIGTERM');
    }
  });
});
