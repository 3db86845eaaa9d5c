import { PoisonMessageError, type RawStoredMessage } from '@gastown/bus';
import { WebhookAttemptRecord } from '@gastown/contracts';
import type { EntityManager } from 'typeorm';
import { advanceCheckpoint, lockCheckpoint } from '../projection/projection.checkpoint';
import type { DeliveryStatus } from '../read-models/webhook.entity';

const STATUS: Record<WebhookAttemptRecord['outcome'], DeliveryStatus> = {
  DELIVERED: 'DELIVERED',
  RETRYING: 'PENDING',
  FAILED: 'FAILED',
};

const decoder = new TextDecoder();

/** The record in a delivery log message, or a poison error that names what is wrong without quoting it. */
export function parseAttemptRecord(message: RawStoredMessage): WebhookAttemptRecord {
  const poison = (reason: string) => new PoisonMessageError(message.subject, message.seq, reason);
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(message.data));
  } catch {
    throw poison('the delivery log record is not valid JSON');
  }
  const parsed = WebhookAttemptRecord.safeParse(json);
  if (!parsed.success) {
    throw poison(`not a delivery log record: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  const [, , townId, webhookId] = message.subject.split('.');
  if (parsed.data.townId !== townId || parsed.data.webhookId !== webhookId) {
    throw poison(`the record of webhook ${parsed.data.webhookId} (town ${parsed.data.townId}) is on the subject of another webhook`);
  }
  return parsed.data;
}

/**
 * Applies one attempt of the delivery log inside the caller's transaction, with its subject's
 * checkpoint as a compare-and-set like the event projection. A delivery's status follows its latest
 * attempt, except that once delivered it stays delivered: a redelivered job that failed afterwards
 * does not undo what the receiver already got.
 */
export async function applyAttemptRecord(tx: EntityManager, message: RawStoredMessage): Promise<'applied' | 'duplicate'> {
  const record = parseAttemptRecord(message);
  const lastSeq = await lockCheckpoint(tx, message.subject, record.at);
  if (lastSeq >= message.seq) return 'duplicate';
  const status = STATUS[record.outcome];
  await tx.query(
    `INSERT INTO webhook_deliveries (id, town_id, webhook_id, convoy_id, event, status, last_attempt, created_at, updated_at, delivered_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $6 = 'DELIVERED' THEN $9::timestamptz END)
     ON CONFLICT (id) DO UPDATE SET
       status = CASE WHEN webhook_deliveries.status = 'DELIVERED' THEN 'DELIVERED' ELSE EXCLUDED.status END,
       last_attempt = EXCLUDED.last_attempt,
       updated_at = EXCLUDED.updated_at,
       delivered_at = COALESCE(webhook_deliveries.delivered_at, EXCLUDED.delivered_at)
     WHERE webhook_deliveries.last_attempt <= EXCLUDED.last_attempt`,
    [record.deliveryId, record.townId, record.webhookId, record.convoyId, record.event, status, record.attempt, record.enqueuedAt, record.at],
  );
  await tx.query(
    `INSERT INTO webhook_delivery_attempts (delivery_id, attempt, at, status_code, error, duration_ms, outcome)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (delivery_id, attempt) DO NOTHING`,
    [record.deliveryId, record.attempt, record.at, record.statusCode, record.error, record.durationMs, record.outcome],
  );
  await advanceCheckpoint(tx, message.subject, lastSeq, message.seq, record.at);
  return 'applied';
}
