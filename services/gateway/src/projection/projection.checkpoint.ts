import type { EntityManager } from 'typeorm';

/** Channel on which every applied record is announced as `<subject> <seq>`; the waiter listens to it. */
export const PROJECTION_CHANNEL = 'gt_projection';

/** Channel on which a newly held subject is announced by name, so its waiters stop waiting. */
export const HOLDS_CHANNEL = 'gt_projection_holds';

/**
 * Locks the subject's checkpoint for the rest of the transaction (creating it at 0) and returns
 * the last sequence applied. Together with advanceCheckpoint it makes a projection's rows and its
 * checkpoint move as one compare-and-set, whichever log the records come from.
 */
export async function lockCheckpoint(tx: EntityManager, subject: string, at: string): Promise<number> {
  await tx.query(
    `INSERT INTO projection_checkpoints (subject, last_seq, updated_at) VALUES ($1, 0, $2) ON CONFLICT (subject) DO NOTHING`,
    [subject, at],
  );
  const [{ last_seq }] = (await tx.query(`SELECT last_seq FROM projection_checkpoints WHERE subject = $1 FOR UPDATE`, [
    subject,
  ])) as { last_seq: string }[];
  return Number(last_seq);
}

/** Moves the checkpoint locked at `fromSeq` to `toSeq`; waiters hear of it when the transaction commits. */
export async function advanceCheckpoint(tx: EntityManager, subject: string, fromSeq: number, toSeq: number, at: string): Promise<void> {
  const [, moved] = (await tx.query(
    `UPDATE projection_checkpoints SET last_seq = $2, updated_at = $3 WHERE subject = $1 AND last_seq = $4`,
    [subject, toSeq, at, fromSeq],
  )) as [unknown[], number];
  if (moved !== 1) throw new Error(`checkpoint of ${subject} moved under its lock`);
  await tx.query(`SELECT pg_notify($1, $2)`, [PROJECTION_CHANNEL, `${subject} ${toSeq}`]);
}
