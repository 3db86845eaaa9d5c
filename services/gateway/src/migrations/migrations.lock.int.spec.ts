import { Client } from 'pg';
import { startService, TEST_PG_ADMIN_URL, uncreatedTestDatabase } from '@gastown/testing';
import { READ_MODEL_MIGRATIONS } from '../read-models/read-models.datasource';
import { PendingMigrationsError, prepareReadModelSchema } from './migrations.lock';

const MIGRATION_NAMES = READ_MODEL_MIGRATIONS.map((m) => new m().name ?? m.name);

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

const appliedNames = (url: string) => query<{ name: string }>(url, 'SELECT name FROM read_model_migrations ORDER BY id').then((rows) => rows.map((r) => r.name));

describe('read-model migrations across replicas', () => {
  const databases: { drop(): Promise<void> }[] = [];
  const fresh = () => {
    const db = uncreatedTestDatabase();
    databases.push(db);
    return db;
  };
  afterAll(async () => {
    for (const db of databases) await db.drop();
  });

  it('given a fresh server, when three migrate processes start at once, then all succeed and each migration is applied exactly once', async () => {
    const db = fresh();
    const started = Date.now();
    const runs = await Promise.all([1, 2, 3].map(() => startService('migrate', { script: 'services/gateway/src/migrations/migrate.main.ts', env: { DATABASE_URL: db.url } })));
    const codes = await Promise.all(runs.map((run) => run.exited()));
    process.stdout.write(`three concurrent migrate runs on a fresh database: ${Date.now() - started} ms\n`);

    expect(codes).toEqual([0, 0, 0]);
    expect(await appliedNames(db.url)).toEqual(MIGRATION_NAMES);
    const outputs = runs.map((run) => run.output());
    expect(outputs.filter((o) => o.includes(`applied ${MIGRATION_NAMES.length} migration(s)`))).toHaveLength(1);
    expect(outputs.filter((o) => o.includes('the read-model schema is up to date'))).toHaveLength(2);
  });

  it('given a fresh database, when three gateways prepare the schema at start together (GATEWAY_MIGRATIONS=run), then all come up on one applied set', async () => {
    const db = fresh();
    const admin = new Client({ connectionString: TEST_PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${db.name}`).finally(() => admin.end());

    await Promise.all([1, 2, 3].map(() => prepareReadModelSchema(db.url, 'run')));

    expect(await appliedNames(db.url)).toEqual(MIGRATION_NAMES);
  });

  it('given pending migrations, when a gateway starts with GATEWAY_MIGRATIONS=check, then it refuses naming them and how to run them; skip starts without looking', async () => {
    const db = fresh();
    const admin = new Client({ connectionString: TEST_PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${db.name}`).finally(() => admin.end());

    const check = prepareReadModelSchema(db.url, 'check');
    await expect(check).rejects.toThrow(PendingMigrationsError);
    await expect(check).rejects.toThrow(
      `GATEWAY_MIGRATIONS=check: the read-model database lacks ${MIGRATION_NAMES.length} migration(s) (${MIGRATION_NAMES.join(', ')}); ` +
        'run them first (`npm run migrate`, or the migrations Job: node dist/services/gateway/migrate.js)',
    );
    await expect(prepareReadModelSchema(db.url, 'skip')).resolves.toBeUndefined();
    expect(await query(db.url, "SELECT to_regclass('read_model_migrations') AS found")).toEqual([{ found: null }]);

    await prepareReadModelSchema(db.url, 'run');
    await expect(prepareReadModelSchema(db.url, 'check')).resolves.toBeUndefined();
  });
});
