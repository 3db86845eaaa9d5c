import type { EventEmitter } from 'node:events';
import { Client } from 'pg';
import { DataSource, type Logger } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions';
import { READ_MODEL_ENTITIES } from './read-models.entities';
import { ReadModels1764061200000 } from './migrations/1764061200000-read-models';
import { RigConfig1764072000000 } from './migrations/1764072000000-rig-config';
import { AttemptsAndAgents1764158400000 } from './migrations/1764158400000-attempts-and-agents';
import { ConvoyHistory1764162000000 } from './migrations/1764162000000-convoy-history';
import { Webhooks1764165600000 } from './migrations/1764165600000-webhooks';
import { ProjectionSkips1765000000000 } from './migrations/1765000000000-projection-skips';
import { RigCredentials1765100000000 } from './migrations/1765100000000-rig-credentials';
import { TownBounds1765200000000 } from './migrations/1765200000000-town-bounds';
import { PushClaims1765300000000 } from './migrations/1765300000000-push-claims';
import { MergeQueue1765400000000 } from './migrations/1765400000000-merge-queue';

export const READ_MODEL_MIGRATIONS = [ReadModels1764061200000, RigConfig1764072000000, AttemptsAndAgents1764158400000, ConvoyHistory1764162000000, Webhooks1764165600000, ProjectionSkips1765000000000, RigCredentials1765100000000, TownBounds1765200000000, PushClaims1765300000000, MergeQueue1765400000000];

/**
 * TypeORM's own loggers print a failed query's parameters, i.e. event payloads and token hashes.
 * This one names the statement and the error only; callers decide what else is worth logging.
 */
const parameterFreeLogger: Logger = {
  logQuery: () => undefined,
  logQuerySlow: () => undefined,
  logSchemaBuild: () => undefined,
  logMigration: (message) => console.info(`[read-models] ${message}`),
  log: (level, message) => {
    if (level === 'warn') console.warn(`[read-models] ${String(message)}`);
  },
  logQueryError: (error, query) => {
    const statement = query.trim().split(/\s+/).slice(0, 3).join(' ');
    console.error(`[read-models] ${statement} … failed: ${error instanceof Error ? error.message : error}`);
  },
};

/** Connections one process keeps to the read-model database (DATABASE_POOL_MAX for the gateway). */
export const DEFAULT_DATABASE_POOL_MAX = 10;

export function readModelDataSourceOptions(url: string, { poolMax = DEFAULT_DATABASE_POOL_MAX } = {}): PostgresDataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: READ_MODEL_ENTITIES,
    migrations: READ_MODEL_MIGRATIONS,
    migrationsTableName: 'read_model_migrations',
    synchronize: false,
    logger: parameterFreeLogger,
    logging: ['error', 'warn', 'migration'],
    extra: { max: poolMax },
  };
}

export function createReadModelDataSource(url: string, options?: { poolMax?: number }): DataSource {
  return new DataSource(readModelDataSourceOptions(url, options));
}

/**
 * pg-pool removes its idle listener when it hands a connection out and TypeORM adds its own a
 * moment later; a connection terminated in between (a database restart, pg_terminate_backend)
 * emits an 'error' nobody listens to, which would end the process. A permanent listener on every
 * new connection closes that window; the failure still reaches whoever runs the next query.
 */
export async function initializeReadModelDataSource(dataSource: DataSource): Promise<DataSource> {
  await dataSource.initialize();
  const pool = (dataSource.driver as unknown as { master?: EventEmitter }).master;
  pool?.on('connect', (client: EventEmitter) => client.on('error', () => undefined));
  return dataSource;
}

/** Creates the database named in the URL when it is missing, so a fresh machine starts with one command. */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const database = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) {
    throw new Error(`DATABASE_URL names database "${database}"; use letters, digits and underscores only`);
  }
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    // Replicas starting together on a fresh server race here: the one that loses finds it created.
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${database}"`).catch(createdMeanwhile);
  } finally {
    await client.end();
  }
}

/** duplicate_database, or the catalogue's unique index when both CREATEs got that far. */
function createdMeanwhile(error: unknown): void {
  const code = (error as { code?: string }).code;
  if (code !== '42P04' && code !== '23505') throw error;
}
