import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { eventually, TEST_NATS_URL, testNamespace } from '@gastown/testing';
import { connectBus, deleteTopology, ensureTopology, type Bus } from './bus.connection';
import { newConvoyScope, recordingLogger } from './testing/event.fixture';

const CHILD = resolve(__dirname, 'testing/follower.child.ts');
const THRESHOLD_MS = 2_000;

function startFollowerProcess(namespace: string, filterSubject: string): ChildProcess {
  return spawn(process.execPath, ['-r', '@swc-node/register', CHILD, namespace, filterSubject, String(THRESHOLD_MS)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function untilFollowing(child: ChildProcess): Promise<void> {
  let output = '';
  await new Promise<void>((done, fail) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('following')) done();
    });
    child.once('exit', (code) => fail(new Error(`the follower process exited with ${code} before following`)));
  });
}

describe('a follower whose process dies', () => {
  const namespace = testNamespace();
  let bus: Bus;

  beforeAll(async () => {
    bus = await connectBus({ servers: TEST_NATS_URL, namespace, name: 'bus-follower-crash-spec', logger: recordingLogger() });
    await ensureTopology(bus);
  });

  afterAll(async () => {
    await deleteTopology(bus);
    await bus.close();
  });

  const consumerCount = async () => (await bus.jsm.streams.info(bus.names.eventStream)).state.consumer_count;

  it('given a subscriber process killed without closing its follower, when the inactive threshold passes, then its consumer is gone from the server', async () => {
    const before = await consumerCount();
    const child = startFollowerProcess(namespace, newConvoyScope(bus.names).subject);
    try {
      await untilFollowing(child);
      expect(await consumerCount()).toBe(before + 1);

      child.kill('SIGKILL');
      await once(child, 'exit');

      await eventually('the dead follower’s consumer to be removed', async () => (await consumerCount()) === before, {
        timeoutMs: THRESHOLD_MS + 30_000,
        intervalMs: 200,
      });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});
