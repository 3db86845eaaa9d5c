import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createReadModelDataSource, initializeReadModelDataSource } from '../read-models/read-models.datasource';

/**
 * The read-model schema is brought up to date by one process at a time: every gateway replica
 * (GATEWAY_MIGRATIONS=run) and the migrations Job may start together, and TypeORM alone would let
 * two of them see the same migration pending and both run it.
 */

/** What a gateway does with pending migrations at start (GATEWAY_MIGRATIONS). */
export const MIGRATION_MODES = ['run', 'skip', 'check'] as const;
export type MigrationMode = (typeof MIGRATION_MODES)[number];

/**
 * The session-level advisory lock that serialises migration runs on one database: a fixed key
 * ("gastown" read as hex digits), so every version of the gateway takes the same lock.
 */
export const MIGRATION_LOCK_KEY = 0x6a5707;

export class PendingMigrationsError extends Error {
  constructor(readonly pending: readonly string[]) {
    super(
      `GATEWAY_MIGRATIONS=check: the read-model database lacks ${pending.length} migration(s) (${pending.join(', ')}); ` +
        'run them first (`npm run migrate`, or the migrations Job: node dist/services/gateway/migrate.js)',
    );
    this.name = 'PendingMigrationsError';
  }
}

/** Names of the migrations this build knows and the database has not applied. */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  const table = dataSource.options.migrationsTableName ?? 'migrations';
  const exists = await dataSource.query('SELECT to_regclass($1) AS found', [table]);
  const applied = new Set<string>(exists[0]?.found ? (await dataSource.query(`SELECT name FROM "${table}"`)).map((row: { name: string }) => row.name) : []);
  return dataSource.migrations.map((m) => m.name ?? m.constructor.name).filter((name) => !applied.has(name));
}

/**
 * Runs the pending migrations while holding the advisory lock on a connection of its own; a
 * process that waited for the lock finds them applied and runs nothing. The lock goes with the
 * session, so a process killed mid-run frees it (and its transaction rolls back).
 */
export async function runMigrationsLocked(dataSource: DataSource, databaseUrl: string): Promise<string[]> {
  const lock = new Client({ connectionString: databaseUrl });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'all' });
    return applied.map((m) => m.name);
  } finally {
    // Ending the session releases the lock, also when the unlock itself cannot be sent.
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.end().catch(() => undefined);
  }
}

/**
 * At a gateway's start, before its pool opens: run the pending migrations, refuse to start while
 * any is pending, or (skip) leave them to the migrations Job without looking.
 */
export async function prepareReadModelSchema(databaseUrl: string, mode: MigrationMode): Promise<void> {
  if (mode === 'skip') return;
  const dataSource = await initializeReadModelDataSource(createReadModelDataSource(databaseUrl, { poolMax: 1 }));
  try {
    if (mode === 'run') await runMigrationsLocked(dataSource, databaseUrl);
    const pending = await pendingMigrations(dataSource);
    if (pending.length > 0) throw new PendingMigrationsError(pending);
  } finally {
    await dataSource.destroy();
  }
}
