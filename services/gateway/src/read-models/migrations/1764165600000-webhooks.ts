import { MigrationInterface, QueryRunner } from 'typeorm';

export class Webhooks1764165600000 implements MigrationInterface {
  name = 'Webhooks1764165600000';

  async up(q: QueryRunner): Promise<void> {
    // No secret column: the deliverer signs with the secret from the event stream, the API never shows it.
    await q.query(`
      CREATE TABLE webhooks (
        id uuid PRIMARY KEY,
        town_id uuid NOT NULL,
        url text NOT NULL,
        events text[] NOT NULL,
        created_at timestamptz NOT NULL,
        removed_at timestamptz
      )`);
    await q.query(`CREATE INDEX ix_webhooks_town ON webhooks (town_id, created_at)`);
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY,
        town_id uuid NOT NULL,
        webhook_id uuid NOT NULL,
        convoy_id uuid NOT NULL,
        event text NOT NULL,
        status text NOT NULL,
        last_attempt integer NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        delivered_at timestamptz
      )`);
    await q.query(`CREATE INDEX ix_webhook_deliveries_webhook ON webhook_deliveries (town_id, webhook_id, created_at)`);
    await q.query(`CREATE INDEX ix_webhook_deliveries_convoy ON webhook_deliveries (town_id, convoy_id, created_at)`);
    await q.query(`CREATE INDEX ix_webhook_deliveries_town ON webhook_deliveries (town_id, created_at)`);
    await q.query(`
      CREATE TABLE webhook_delivery_attempts (
        delivery_id uuid NOT NULL,
        attempt integer NOT NULL,
        at timestamptz NOT NULL,
        status_code integer,
        error text,
        duration_ms integer NOT NULL,
        outcome text NOT NULL,
        PRIMARY KEY (delivery_id, attempt)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_delivery_attempts`);
    await q.query(`DROP TABLE webhook_deliveries`);
    await q.query(`DROP TABLE webhooks`);
  }
}
