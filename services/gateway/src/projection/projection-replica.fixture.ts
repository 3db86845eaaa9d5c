/**
 * One projector replica as a process of its own, for specs that freeze (SIGSTOP) or kill it by
 * PID while it holds a delivery; the gateway's projector cannot be given a short ack wait.
 *   DATABASE_URL=… NATS_URL=… GT_NAMESPACE=… PROJECTION_DURABLE=… PROJECTION_ACK_WAIT_MS=… \
 *     node -r @swc-node/register services/gateway/src/projection/projection-replica.fixture.ts
 * Prints "projection replica ready" once its consumer runs; SIGTERM stops it cleanly.
 */
import { connectBus, consoleLogger } from '@gastown/bus';
import { createReadModelDataSource, initializeReadModelDataSource } from '../read-models/read-models.datasource';
import { ProjectionRunner } from './projection.runner';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

async function main(): Promise<void> {
  const log = consoleLogger('projection replica');
  const dataSource = await initializeReadModelDataSource(createReadModelDataSource(required('DATABASE_URL')));
  const bus = await connectBus({ servers: required('NATS_URL'), namespace: required('GT_NAMESPACE'), name: 'projection-replica', logger: log });
  const runner = new ProjectionRunner(dataSource, bus, {
    durable: required('PROJECTION_DURABLE'),
    ackWaitMs: Number(required('PROJECTION_ACK_WAIT_MS')),
    backoffMs: [50],
    logger: log,
  });
  await runner.start();
  log.info('projection replica ready');
  process.once('SIGTERM', () => {
    void (async () => {
      await runner.stop();
      await bus.close();
      await dataSource.destroy();
    })().finally(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  console.error(`[projection replica] failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
