/**
 * Brings the read-model schema up to date and exits: what a Kubernetes Job (or a release step)
 * runs before the gateways, which then start with GATEWAY_MIGRATIONS=skip or check.
 *   DATABASE_URL=postgres://… npm run migrate        (built: node dist/services/gateway/migrate.js)
 * Safe to run beside gateways and other runs: one run at a time holds the advisory lock, the
 * others then find nothing pending. Exit 0 up to date, 1 failed, 2 bad configuration.
 */
import { ConfigError, loadDatabaseUrl } from '@gastown/service-runtime';
import { createReadModelDataSource, ensureDatabase, initializeReadModelDataSource } from '../read-models/read-models.datasource';
import { runMigrationsLocked } from './migrations.lock';

async function main(): Promise<number> {
  const databaseUrl = loadDatabaseUrl('migrate', process.env);
  await ensureDatabase(databaseUrl);
  const dataSource = await initializeReadModelDataSource(createReadModelDataSource(databaseUrl, { poolMax: 1 }));
  try {
    const applied = await runMigrationsLocked(dataSource, databaseUrl);
    console.log(applied.length === 0 ? '[migrate] the read-model schema is up to date' : `[migrate] applied ${applied.length} migration(s): ${applied.join(', ')}`);
    return 0;
  } finally {
    await dataSource.destroy();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exitCode = 2;
      return;
    }
    console.error(`[migrate] failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
