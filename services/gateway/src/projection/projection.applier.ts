import { PoisonMessageError, type StoredCommit } from '@gastown/bus';
import { InvalidEventError } from '@gastown/contracts';
import { QueryFailedError, type DataSource, type EntityManager } from 'typeorm';
import { applyCommit, type ApplyOutcome } from '../read-models/read-models.projector';

export interface ProjectionHold {
  readonly subject: string;
  readonly seq: number;
  readonly reason: string;
  readonly heldAt: Date;
}

/** What happened to one commit: applied (or already there), or its subject is now held. */
export type ProjectOutcome = ApplyOutcome | 'held';

/**
 * Data problems fail the same way on every retry, so they hold the subject instead of being
 * retried: undecodable or invalid events, and SQL data exceptions (22xxx) or integrity
 * violations (23xxx) raised by their values. Anything else (a lost connection, a shutdown,
 * a timeout) is transient and goes back to the consumer's back-off.
 */
export function poisonReason(error: unknown): string | null {
  if (error instanceof PoisonMessageError) return error.reason;
  if (error instanceof InvalidEventError) return error.message;
  if (error instanceof QueryFailedError) {
    const code = (error.driverError as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'))) {
      return `rejected by the read-model schema (SQLSTATE ${code}): ${error.message}`;
    }
  }
  return null;
}

export function applyInTransaction(
  dataSource: DataSource,
  commit: StoredCommit,
  storedEvents?: readonly unknown[],
): Promise<ApplyOutcome> {
  return dataSource.transaction((tx) => applyCommit(tx, commit, storedEvents));
}

export async function checkpointOf(db: DataSource | EntityManager, subject: string): Promise<number> {
  const rows = (await db.query(`SELECT last_seq FROM projection_checkpoints WHERE subject = $1`, [subject])) as {
    last_seq: string;
  }[];
  return rows.length ? Number(rows[0].last_seq) : 0;
}

const REASON_MAX_CHARS = 1000;

/** The first hold wins: it names the earliest commit that could not be applied. */
export async function holdSubject(db: DataSource | EntityManager, subject: string, seq: number, reason: string): Promise<void> {
  const shown = reason.length > REASON_MAX_CHARS ? `${reason.slice(0, REASON_MAX_CHARS)}…` : reason;
  await db.query(
    `INSERT INTO projection_holds (subject, seq, reason, held_at) VALUES ($1, $2, $3, now()) ON CONFLICT (subject) DO NOTHING`,
    [subject, seq, shown],
  );
}

export async function releaseHold(db: DataSource | EntityManager, subject: string): Promise<void> {
  await db.query(`DELETE FROM projection_holds WHERE subject = $1`, [subject]);
}

export async function isHeld(db: DataSource | EntityManager, subject: string): Promise<boolean> {
  const rows = (await db.query(`SELECT 1 FROM projection_holds WHERE subject = $1`, [subject])) as unknown[];
  return rows.length > 0;
}

export async function listHolds(db: DataSource | EntityManager): Promise<ProjectionHold[]> {
  const rows = (await db.query(`SELECT subject, seq, reason, held_at FROM projection_holds ORDER BY held_at, subject`)) as {
    subject: string;
    seq: string;
    reason: string;
    held_at: Date;
  }[];
  return rows.map((r) => ({ subject: r.subject, seq: Number(r.seq), reason: r.reason, heldAt: r.held_at }));
}
