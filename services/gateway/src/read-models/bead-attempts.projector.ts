import type { StoredCommit } from '@gastown/bus';
import type { AgentResult, EventMeta, EventOf, EventType } from '@gastown/contracts';
import type { EntityManager } from 'typeorm';
import { each, runsOf, type RunHandler } from './event-runs.projector';
import type { AttemptOutcome } from './bead-attempt.entity';

type AttemptRef = EventMeta & { data: { beadId: string; attempt: number } };

/**
 * Projects bead attempts and the agents that run them, inside the transaction that applies the
 * commit (so under the same checkpoint compare-and-set as every other read model; bead ids are
 * scoped by their convoy there too).
 *
 * An agent is WORKING from its dispatch until its attempt leaves IN_PROGRESS (submitted, failed,
 * lost, cancelled): that is when the dispatcher counts its polecat slot free and may dispatch it
 * again, so `agents` shows what the dispatcher believes.
 */
export async function projectAttempts(tx: EntityManager, commit: StoredCommit): Promise<void> {
  for (const run of runsOf(commit.events)) {
    const handler = handlers[run.type] as RunHandler<EventType> | undefined;
    if (handler) await handler(tx, run.events);
  }
}


interface AttemptEnd {
  outcome: AttemptOutcome;
  reason?: string;
  headCommit?: string;
  agentResult?: AgentResult | null;
}

/** The agent's part of the attempt ends with this outcome; `onlyWhile` spares attempts already past those outcomes. */
async function endAttempt(tx: EntityManager, e: AttemptRef, end: AttemptEnd, onlyWhile: readonly AttemptOutcome[] = []): Promise<void> {
  const result = end.agentResult ?? null;
  await tx.query(
    `UPDATE bead_attempts SET outcome = $3, ended_at = COALESCE(ended_at, $4), reason = COALESCE($5, reason),
            head_commit = COALESCE($6, head_commit), exit_code = COALESCE($7, exit_code), output_tail = COALESCE($8, output_tail)
     WHERE bead_id = $1 AND number = $2 AND convoy_id = $10 AND (cardinality($9::text[]) = 0 OR outcome = ANY($9::text[]))`,
    [
      e.data.beadId,
      e.data.attempt,
      end.outcome,
      e.occurredAt,
      end.reason ?? null,
      end.headCommit ?? null,
      result?.exitCode ?? null,
      result?.outputTail ?? null,
      onlyWhile,
      e.convoyId,
    ],
  );
}

/** A verdict on work the agent already handed in: its own part ended earlier, so ended_at stays. */
async function judgeAttempt(tx: EntityManager, e: AttemptRef, outcome: AttemptOutcome, reason: string | null): Promise<void> {
  await tx.query(
    `UPDATE bead_attempts SET outcome = $3, reason = COALESCE($4, reason) WHERE bead_id = $1 AND number = $2 AND convoy_id = $5`,
    [e.data.beadId, e.data.attempt, outcome, reason, e.convoyId],
  );
}

/**
 * Records that the attempt's agent was heard of, and with `free` that the attempt no longer holds
 * it. An agent already dispatched to another bead is left on that one: an event of an older
 * attempt (a subject held on a poison message and applied later) must not idle it.
 */
async function touchAgent(tx: EntityManager, e: AttemptRef, free: boolean): Promise<void> {
  await tx.query(
    `UPDATE agents a SET
       last_seen_at = GREATEST(a.last_seen_at, $3::timestamptz),
       status = CASE WHEN $4::boolean AND a.current_bead_id = t.bead_id AND a.current_attempt = t.number THEN 'IDLE' ELSE a.status END,
       current_bead_id = CASE WHEN $4::boolean AND a.current_bead_id = t.bead_id AND a.current_attempt = t.number
                              THEN NULL ELSE a.current_bead_id END,
       current_attempt = CASE WHEN $4::boolean AND a.current_bead_id = t.bead_id AND a.current_attempt = t.number
                              THEN NULL ELSE a.current_attempt END
     FROM bead_attempts t
     WHERE t.bead_id = $1 AND t.number = $2 AND t.convoy_id = $5 AND a.town_id = t.town_id AND a.agent_id = t.agent_id`,
    [e.data.beadId, e.data.attempt, e.occurredAt, free, e.convoyId],
  );
}

/**
 * The agent takes the bead unless the row already knows a later event about it (the same older
 * attempt applied late, as above); its rig is the bead's.
 */
const beadDispatched = each<'BeadDispatched'>(async (tx, e) => {
  const d = e.data;
  await tx.query(
    `INSERT INTO bead_attempts (bead_id, number, town_id, convoy_id, agent_id, agent_name, branch, dispatched_at, outcome)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'RUNNING')`,
    [d.beadId, d.attempt, e.townId, e.convoyId, d.agent.id, d.agent.name, d.branch, e.occurredAt],
  );
  await tx.query(
    `INSERT INTO agents AS a (town_id, agent_id, rig_id, name, status, current_bead_id, current_attempt, last_seen_at, attempts_total)
     SELECT $1, $2, b.rig_id, $3, 'WORKING', b.id, $5, $6, 1 FROM beads b WHERE b.id = $4 AND b.convoy_id = $7
     ON CONFLICT (town_id, agent_id) DO UPDATE SET
       attempts_total = a.attempts_total + 1,
       last_seen_at = GREATEST(a.last_seen_at, EXCLUDED.last_seen_at),
       name = CASE WHEN EXCLUDED.last_seen_at >= a.last_seen_at THEN EXCLUDED.name ELSE a.name END,
       status = CASE WHEN EXCLUDED.last_seen_at >= a.last_seen_at THEN 'WORKING' ELSE a.status END,
       current_bead_id = CASE WHEN EXCLUDED.last_seen_at >= a.last_seen_at THEN EXCLUDED.current_bead_id ELSE a.current_bead_id END,
       current_attempt = CASE WHEN EXCLUDED.last_seen_at >= a.last_seen_at THEN EXCLUDED.current_attempt ELSE a.current_attempt END`,
    [e.townId, d.agent.id, d.agent.name, d.beadId, d.attempt, e.occurredAt, e.convoyId],
  );
});

const beadStarted = each<'BeadStarted'>(async (tx, e) => {
  await tx.query(
    `UPDATE bead_attempts SET started_at = COALESCE(started_at, $3) WHERE bead_id = $1 AND number = $2 AND convoy_id = $4`,
    [e.data.beadId, e.data.attempt, e.occurredAt, e.convoyId],
  );
  await touchAgent(tx, e, false);
});

const beadSubmitted = each<'BeadSubmitted'>(async (tx, e) => {
  await endAttempt(tx, e, { outcome: 'SUBMITTED', headCommit: e.data.headCommit, agentResult: e.data.agentResult });
  await touchAgent(tx, e, true);
});

const beadMerged = each<'BeadMerged'>((tx, e) => judgeAttempt(tx, e, 'MERGED', null));

const beadReworkRequested = each<'BeadReworkRequested'>((tx, e) => judgeAttempt(tx, e, 'REWORK', e.data.reason));

const beadAttemptFailed = each<'BeadAttemptFailed'>(async (tx, e) => {
  await endAttempt(tx, e, { outcome: 'FAILED', reason: e.data.reason, agentResult: e.data.agentResult });
  await touchAgent(tx, e, true);
});

const beadAgentLost = each<'BeadAgentLost'>(async (tx, e) => {
  await endAttempt(tx, e, { outcome: 'LOST', reason: e.data.reason });
  await touchAgent(tx, e, true);
});

const beadAttemptInterrupted = each<'BeadAttemptInterrupted'>(async (tx, e) => {
  await endAttempt(tx, e, { outcome: 'INTERRUPTED', reason: e.data.reason });
  await touchAgent(tx, e, true);
});

/**
 * Ends a still running attempt (its failure used up the budget, so no BeadAttemptFailed came
 * first). An attempt that a preceding event of the same decision already ended (lost, sent back
 * by review) keeps that outcome.
 */
const beadFailed = each<'BeadFailed'>(async (tx, e) => {
  await endAttempt(tx, e, { outcome: 'FAILED', reason: e.data.reason, agentResult: e.data.agentResult }, ['RUNNING']);
  await touchAgent(tx, e, true);
});

/**
 * A closed convoy cancels its beads in one decision, thousands at once for a large plan: one
 * statement ends their running or unreviewed attempts, one idles their agents. The agents named
 * in ConvoyCancelled.stopAgents are exactly the ones on these beads.
 */
const beadsCancelled: RunHandler<'BeadCancelled'> = async (tx, events) => {
  const byConvoy = new Map<string, EventOf<'BeadCancelled'>[]>();
  for (const e of events) {
    const group = byConvoy.get(e.convoyId as string);
    if (group) group.push(e);
    else byConvoy.set(e.convoyId as string, [e]);
  }
  for (const [convoyId, cancelled] of byConvoy) {
    const beadIds = cancelled.map((e) => e.data.beadId);
    const at = cancelled[cancelled.length - 1].occurredAt;
    await tx.query(
      `UPDATE bead_attempts SET outcome = 'CANCELLED', ended_at = COALESCE(ended_at, $3)
       WHERE bead_id = ANY($1::uuid[]) AND convoy_id = $2 AND outcome IN ('RUNNING', 'SUBMITTED')`,
      [beadIds, convoyId, at],
    );
    await tx.query(
      `UPDATE agents SET status = 'IDLE', current_bead_id = NULL, current_attempt = NULL, last_seen_at = GREATEST(last_seen_at, $3)
       WHERE town_id = $2 AND current_bead_id = ANY($1::uuid[])`,
      [beadIds, cancelled[0].townId, at],
    );
  }
};

const handlers: { [K in EventType]?: RunHandler<K> } = {
  BeadDispatched: beadDispatched,
  BeadStarted: beadStarted,
  BeadSubmitted: beadSubmitted,
  BeadMerged: beadMerged,
  BeadReworkRequested: beadReworkRequested,
  BeadAttemptFailed: beadAttemptFailed,
  BeadAgentLost: beadAgentLost,
  BeadAttemptInterrupted: beadAttemptInterrupted,
  BeadFailed: beadFailed,
  BeadCancelled: beadsCancelled,
};
