import { PoisonMessageError, type StoredCommit } from '@gastown/bus';
import { InvalidEventError } from '@gastown/contracts';
import { QueryFailedError, type DataSource, type EntityManager } from 'typeorm';
import { applyCommit, type ApplyOutcome } from '../read-models/read-models.projector';
import { advanceCheckpoint, HOLDS_CHANNEL, lockCheckpoint } from './projection.checkpoint';

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

/**
 * The first hold wins: it names the earliest commit that could not be applied. Waiters hear of it
 * at once, so a mutation on a held subject answers that it is held instead of timing out.
 */
export async function holdSubject(db: DataSource | EntityManager, subject: string, seq: number, reason: string): Promise<void> {
  const shown = reason.length > REASON_MAX_CHARS ? `${reason.slice(0, REASON_MAX_CHARS)}…` : reason;
  await db.query(
    `INSERT INTO projection_holds (subject, seq, reason, held_at) VALUES ($1, $2, $3, now()) ON CONFLICT (subject) DO NOTHING`,
    [subject, seq, shown],
  );
  await db.query(`SELECT pg_notify($1, $2)`, [HOLDS_CHANNEL, subject]);
}

export async function releaseHold(db: DataSource | EntityManager, subject: string): Promise<void> {
  await db.query(`DELETE FROM projection_holds WHERE subject = $1`, [subject]);
}

export async function isHeld(db: DataSource | EntityManager, subject: string): Promise<boolean> {
  const rows = (await db.query(`SELECT 1 FROM projection_holds WHERE subject = $1`, [subject])) as unknown[];
  return rows.length > 0;
}

/** Every hold, or the holds of some subjects; oldest first. */
export async function listHolds(db: DataSource | EntityManager, subjects?: readonly string[]): Promise<ProjectionHold[]> {
  const rows = (await db.query(
    `SELECT subject, seq, reason, held_at FROM projection_holds WHERE $1::text[] IS NULL OR subject = ANY($1::text[]) ORDER BY held_at, subject`,
    [subjects ? [...subjects] : null],
  )) as {
    subject: string;
    seq: string;
    reason: string;
    held_at: Date;
  }[];
  return rows.map((r) => ({ subject: r.subject, seq: Number(r.seq), reason: r.reason, heldAt: r.held_at }));
}

/** A message the operator skipped: it is never applied, and the convoy's history says so. */
export interface ProjectionSkip {
  readonly subject: string;
  readonly seq: number;
  readonly reason: string;
  /** Why the subject was held on it, kept beside the operator's reason. */
  readonly heldReason: string;
  readonly skippedAt: Date;
}

/**
 * Moves the subject's checkpoint past the held commit without applying it, records the operator's
 * reason and lifts the hold, in one transaction: the next commit of the subject applies as usual.
 * Returns the hold it lifted, or null when the subject was not held.
 */
export async function skipHeldCommit(tx: EntityManager, subject: string, reason: string): Promise<ProjectionHold | null> {
  const rows = (await tx.query(`SELECT seq, reason, held_at FROM projection_holds WHERE subject = $1 FOR UPDATE`, [subject])) as {
    seq: string;
    reason: string;
    held_at: Date;
  }[];
  if (rows.length === 0) return null;
  const hold: ProjectionHold = { subject, seq: Number(rows[0].seq), reason: rows[0].reason, heldAt: rows[0].held_at };
  await passSkippedCommit(tx, subject, hold.seq);
  await tx.query(
    `INSERT INTO projection_skips (subject, seq, reason, held_reason, skipped_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (subject, seq) DO NOTHING`,
    [subject, hold.seq, reason, hold.reason, new Date().toISOString()],
  );
  await tx.query(`DELETE FROM projection_holds WHERE subject = $1`, [subject]);
  return hold;
}

/** A rebuild passes over a commit the operator skipped, as the live projector did. */
export async function passSkippedCommit(tx: EntityManager, subject: string, seq: number): Promise<void> {
  const at = new Date().toISOString();
  const from = await lockCheckpoint(tx, subject, at);
  if (from < seq) await advanceCheckpoint(tx, subject, from, seq, at);
}

/** Every skip, or the skips of some subjects; oldest message first. */
export async function listSkips(db: DataSource | EntityManager, subjects?: readonly string[]): Promise<ProjectionSkip[]> {
  const rows = (await db.query(
    `SELECT subject, seq, reason, held_reason, skipped_at FROM projection_skips
     WHERE $1::text[] IS NULL OR subject = ANY($1::text[]) ORDER BY seq`,
    [subjects ? [...subjects] : null],
  )) as { subject: string; seq: string; reason: string; held_reason: string; skipped_at: Date }[];
  return rows.map((r) => ({ subject: r.subject, seq: Number(r.seq), reason: r.reason, heldReason: r.held_reason, skippedAt: r.skipped_at }));
}
