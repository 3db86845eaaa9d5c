/**
 * Rebuilds the read models from the event stream:
 *   DATABASE_URL=postgres://… NATS_URL=nats://… GT_NAMESPACE=gt [NATS_USER=… NATS_PASSWORD=…] \
 *     node -r @swc-node/register services/gateway/src/projection/rebuild.main.ts
 * Safe while the gateway runs: its projector and the replay meet at the same rows.
 */
import { connectBus, consoleLogger } from '@gastown/bus';
import { loadNatsCredentials } from '@gastown/service-runtime';
import { createReadModelDataSource, ensureDatabase, initializeReadModelDataSource } from '../read-models/read-models.datasource';
import { rebuildReadModels } from './projection.rebuild';

function required(name: string, fallback?: string): string {
  const value = process.env[name] || fallback;
  if (!value) throw new Error(`${name} is required`);
  return value;
}

async function main(): Promise<void> {
  const databaseUrl = required('DATABASE_URL');
  const natsUrl = required('NATS_URL', 'nats://127.0.0.1:4222');
  const namespace = required('GT_NAMESPACE', 'gt');
  const log = consoleLogger('rebuild');

  await ensureDatabase(databaseUrl);
  const dataSource = await initializeReadModelDataSource(createReadModelDataSource(databaseUrl));
  // It reads what the gateway reads, so the gateway's NATS user (or the operator's) is enough.
  const credentials = loadNatsCredentials('read-model rebuild', 'gateway', process.env);
  const bus = await connectBus({ servers: natsUrl, namespace, name: 'read-model-rebuild', logger: log, credentials });
  try {
    await dataSource.runMigrations();
    const report = await rebuildReadModels(dataSource, bus);
    log.info(
      `rebuilt the read models of namespace "${namespace}" up to stream seq ${report.lastSeq}: ` +
        `${report.subjects} subjects, ${report.commits} commits, ${report.events} events ` +
        `in ${report.transactions} transactions, ${report.seconds.toFixed(2)} s`,
    );
    for (const hold of report.holds) log.warn(`held ${hold.subject} at seq ${hold.seq}: ${hold.reason}`);
  } finally {
    await bus.close();
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(`[rebuild] failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
