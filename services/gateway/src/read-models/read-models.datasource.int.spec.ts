import { createTestDatabase, TestDatabase } from '@gastown/testing';
import { DataSource } from 'typeorm';
import { createReadModelDataSource } from './read-models.datasource';

describe('read model schema', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createReadModelDataSource(db.url);
    await ds.initialize();
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  it('given a fresh database, when migrations run, then the schema is exactly what the entities describe', async () => {
    await ds.runMigrations();
    const pending = await ds.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });
});
