import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { READ_MODEL_ENTITIES } from './read-models.entities';
import { ReadModels1764061200000 } from './migrations/1764061200000-read-models';

export const READ_MODEL_MIGRATIONS = [ReadModels1764061200000];

export function createReadModelDataSource(url: string): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: READ_MODEL_ENTITIES,
    migrations: READ_MODEL_MIGRATIONS,
    migrationsTableName: 'read_model_migrations',
    synchronize: false,
    logging: ['error'],
    extra: { max: 10 },
  });
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
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${database}"`);
  } finally {
    await client.end();
  }
}
