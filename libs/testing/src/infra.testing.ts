import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * Integration tests run against the real NATS and PostgreSQL of the machine. Each suite gets
 * its own NATS namespace (streams, subjects, buckets) and its own database, so suites can run
 * side by side and leave nothing behind.
 */
export const TEST_NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
export const TEST_PG_ADMIN_URL = process.env['TEST_PG_ADMIN_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function testNamespace(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

export interface TestDatabase {
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

/** A database of its own that nobody has created yet, for specs where the process under test creates it. */
export function uncreatedTestDatabase(): TestDatabase {
  const name = `gt_test_${randomBytes(5).toString('hex')}`;
  const url = new URL(TEST_PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const c = new Client({ connectionString: TEST_PG_ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const database = uncreatedTestDatabase();
  const admin = new Client({ connectionString: TEST_PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${database.name}`);
  } finally {
    await admin.end();
  }
  return database;
}

/** Waits for a condition without sleeping blindly: polls with a deadline and reports what it waited for. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  { timeoutMs = 15_000, intervalMs = 20 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * The GASTOWN_SECRETS_KEY of every service a test starts (startService passes it unless the test
 * sets its own), so a gateway's sealed webhook key opens in the dispatcher of the same test.
 */
export const TEST_SECRETS_KEY = process.env['GASTOWN_SECRETS_KEY'] || '7e57'.repeat(16);
