/**
 * Rebuilds the read models from the event stream:
 *   DATABASE_URL=postgres://… NATS_URL=nats://… GT_NAMESPACE=gt [NATS_USER=… NATS_PASSWORD=…] \
 *     node -r @swc-node/register services/gateway/src/projection/rebuild.main.ts
 * Safe while the gateway runs: its projector and the replay meet at the same rows.
 */
import { connectBus, consoleLogger } from '@gastown/bus';
import { loadDatabaseUrl, loadNatsConnection } from '@gastown/service-runtime';
import { createReadModelDataSource, ensureDatabase, initializeReadModelDataSource } from '../read-models/read-models.datasource';
import { runMigrationsLocked } from '../migrations/migrations.lock';
import { rebuildReadModels } from './projection.rebuild';

async function main(): Promise<void> {
  const databaseUrl = loadDatabaseUrl('read-model rebuild', process.env);
  // It reads what the gateway reads, so the gateway's NATS user (or the operator's) is enough.
  const nats = loadNatsConnection('read-model rebuild', 'gateway', process.env);
  const namespace = nats.namespace;
  const log = consoleLogger('rebuild');

  await ensureDatabase(databaseUrl);
  const dataSource = await initializeReadModelDataSource(createReadModelDataSource(databaseUrl));
  const bus = await connectBus({ ...nats, name: 'read-model-rebuild', logger: log });
  try {
    await runMigrationsLocked(dataSource, databaseUrl);
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
