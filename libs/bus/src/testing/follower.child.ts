/**
 * A process that follows the event stream and never says goodbye: the crash spec SIGKILLs it
 * to prove the server removes the consumer it leaves behind. argv: namespace, filter, threshold ms.
 */
import { TEST_NATS_URL } from '@gastown/testing';
import { connectBus } from '../bus.connection';
import { followStream } from '../stream.follower';

async function main(): Promise<void> {
  const [namespace, filterSubject, thresholdMs] = process.argv.slice(2);
  const bus = await connectBus({ servers: TEST_NATS_URL, namespace, name: 'follower-child' });
  const follower = await followStream(bus, { filterSubject, inactiveThresholdMs: Number(thresholdMs) });
  process.stdout.write('following\n');
  for await (const commit of follower) process.stdout.write(`commit ${commit.seq}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
