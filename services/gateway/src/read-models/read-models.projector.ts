import type { StoredCommit } from '@gastown/bus';
import { beadStatusAfter, convoyStatusAfter, InvalidEventError, storableValue, type EventMeta, type EventOf, type EventType, type GastownEvent } from '@gastown/contracts';
import type { EntityManager } from 'typeorm';
import { each, runsOf, type RunHandler } from './event-runs.projector';
import { recordConvoyHistory } from '../history/history.projection';
import { projectAttempts } from './bead-attempts.projector';
import { projectMergeQueue } from './merge-queue.projector';
import { raiseTownBounds } from './town-bounds.projector';
import { advanceCheckpoint, lockCheckpoint } from '../projection/projection.checkpoint';

export { PROJECTION_CHANNEL } from '../projection/projection.checkpoint';

export type ApplyOutcome = 'applied' | 'duplicate' | 'gap';

/** Large enough to make a 10,000-bead convoy a handful of statements, small enough to bound one statement's memory. */
const BULK_CHUNK = 1000;

type Columns = Record<string, unknown>;

/**
 * Applies one commit (one decision) to the read models inside the caller's transaction.
 * The checkpoint row is locked first, so the rows and the checkpoint move together as a
 * compare-and-set: a redelivered commit is a 'duplicate', a commit whose predecessor is not
 * applied yet is a 'gap', and neither changes anything.
 */
export async function applyCommit(
  tx: EntityManager,
  decoded: StoredCommit,
  /** The commit's events as the stream holds them, before upcasting; the history keeps them so. */
  stored: readonly unknown[] = decoded.events,
): Promise<ApplyOutcome> {
  // Events written before the text rules may hold a NUL or a lone surrogate, which PostgreSQL
  // refuses in text and jsonb: stored as U+FFFD, so one string never freezes a town's read models.
  const commit = { ...decoded, events: storableValue(decoded.events) };
  const storedEvents = storableValue(stored);
  const at = lastOccurredAt(commit.events);
  const lastSeq = await lockCheckpoint(tx, commit.subject, at);
  if (lastSeq >= commit.seq) return 'duplicate';
  if (lastSeq !== commit.prevSeq) return 'gap';

  for (const run of runsOf(commit.events)) {
    const handler = Object.hasOwn(handlers, run.type) ? (handlers[run.type] as RunHandler<EventType>) : undefined;
    // Only a parser extended beyond the contracts can produce a type without a handler.
    if (!handler) throw new InvalidEventError(`the read models have no projection for "${run.type}"`, run.type, []);
    await handler(tx, run.events);
  }
  await touchConvoys(tx, commit.events);
  await raiseTownBounds(tx, commit.events);
  await projectAttempts(tx, commit);
  await projectMergeQueue(tx, commit);
  await recordConvoyHistory(tx, commit, storedEvents);
  await advanceCheckpoint(tx, commit.subject, lastSeq, commit.seq, at);
  return 'applied';
}

function lastOccurredAt(events: readonly GastownEvent[]): string {
  return events[events.length - 1].occurredAt;
}


function chunks<T>(items: readonly T[], size = BULK_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** `SET a = $n, b = $n+1` for column names that come from this file, never from event data. */
function assignments(columns: Columns, firstParam: number): { sql: string; values: unknown[] } {
  const names = Object.keys(columns);
  return {
    sql: names.map((name, i) => `${name} = $${firstParam + i}`).join(', '),
    values: names.map((name) => columns[name]),
  };
}

async function setConvoy(tx: EntityManager, event: EventMeta, columns: Columns): Promise<void> {
  const set = assignments(columns, 2);
  await tx.query(`UPDATE convoys SET ${set.sql} WHERE id = $1`, [event.convoyId, ...set.values]);
}

/** Beads are only ever touched through their own convoy's events, so the convoy id scopes every update. */
async function setBeads(tx: EntityManager, event: EventMeta, beadIds: readonly string[], columns: Columns): Promise<void> {
  const set = assignments({ ...columns, updated_at: event.occurredAt }, 3);
  await tx.query(`UPDATE beads SET ${set.sql} WHERE id = ANY($1::uuid[]) AND convoy_id = $2`, [
    beadIds,
    event.convoyId,
    ...set.values,
  ]);
}

async function setBead(tx: EntityManager, event: EventMeta & { data: { beadId: string } }, columns: Columns): Promise<void> {
  await setBeads(tx, event, [event.data.beadId], columns);
}

/** convoys.updated_at is the time of the convoy's latest event, whatever the event changed. */
async function touchConvoys(tx: EntityManager, events: readonly GastownEvent[]): Promise<void> {
  const latest = new Map<string, string>();
  for (const event of events) if (event.convoyId) latest.set(event.convoyId, event.occurredAt);
  for (const [convoyId, at] of latest) {
    await tx.query(`UPDATE convoys SET updated_at = $2 WHERE id = $1`, [convoyId, at]);
  }
}

const townCreated = each<'TownCreated'>(async (tx, e) => {
  await tx.query(`INSERT INTO towns (id, name, token_hash, created_at) VALUES ($1, $2, $3, $4)`, [
    e.townId,
    e.data.name,
    e.data.tokenHash,
    e.occurredAt,
  ]);
});

const rigRegistered = each<'RigRegistered'>(async (tx, e) => {
  await tx.query(
    `INSERT INTO rigs (id, town_id, name, git_url, default_branch, config, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [e.data.rigId, e.townId, e.data.name, e.data.gitUrl, e.data.defaultBranch, JSON.stringify(e.data.config), e.occurredAt],
  );
});

/** Only what the API shows: the sealed secret stays in the event, where the git-runner alone opens it. */
const rigCredentialsSet = each<'RigCredentialsSet'>(async (tx, e) => {
  const { credentials } = e.data;
  await tx.query(
    `UPDATE rigs SET credentials_kind = $3, credentials_set_at = $4, credentials_username = $5, credentials_fingerprint = $6 WHERE id = $1 AND town_id = $2`,
    [
      e.data.rigId,
      e.townId,
      credentials.kind,
      e.occurredAt,
      credentials.kind === 'https' ? credentials.username : null,
      credentials.kind === 'ssh' ? credentials.fingerprint : null,
    ],
  );
});

const rigCredentialsCleared = each<'RigCredentialsCleared'>(async (tx, e) => {
  await tx.query(
    `UPDATE rigs SET credentials_kind = NULL, credentials_set_at = NULL, credentials_username = NULL, credentials_fingerprint = NULL WHERE id = $1 AND town_id = $2`,
    [e.data.rigId, e.townId],
  );
});

/** The secret stays in the event: only the deliverer signs, and nothing reads it from PostgreSQL. */
const webhookAdded = each<'WebhookAdded'>(async (tx, e) => {
  await tx.query(`INSERT INTO webhooks (id, town_id, url, events, created_at) VALUES ($1, $2, $3, $4::text[], $5)`, [
    e.data.webhookId,
    e.townId,
    e.data.url,
    e.data.events,
    e.occurredAt,
  ]);
});

/** Kept with its removal time, so its deliveries still name it and a repeated removal can answer with it. */
const webhookRemoved = each<'WebhookRemoved'>(async (tx, e) => {
  await tx.query(`UPDATE webhooks SET removed_at = $3 WHERE id = $1 AND town_id = $2`, [e.data.webhookId, e.townId, e.occurredAt]);
});

const convoyCreated = each<'ConvoyCreated'>(async (tx, e) => {
  const d = e.data;
  await tx.query(
    `INSERT INTO convoys (id, town_id, title, slug, status, merge_mode, staged, parallel, default_rig_id, rig_ids,
                          feature_branches, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::uuid[], $11::jsonb, $12, $12)`,
    [
      e.convoyId,
      e.townId,
      d.title,
      d.slug,
      convoyStatusAfter(e),
      d.mergeMode,
      d.staged,
      d.parallel,
      d.defaultRigId,
      [d.defaultRigId],
      JSON.stringify(d.featureBranches),
      e.occurredAt,
    ],
  );
});

/** A plan arrives as one commit of up to thousands of beads: insert them and their edges in bulk. */
const beadsCreated: RunHandler<'BeadCreated'> = async (tx, events) => {
  const byConvoy = new Map<string, EventOf<'BeadCreated'>[]>();
  for (const e of events) {
    const convoyId = e.convoyId as string;
    const group = byConvoy.get(convoyId);
    if (group) group.push(e);
    else byConvoy.set(convoyId, [e]);
  }
  for (const [convoyId, beads] of byConvoy) {
    const townId = beads[0].townId;
    for (const part of chunks(beads)) {
      await tx.query(
        `INSERT INTO beads (id, town_id, convoy_id, rig_id, idx, title, body, status, created_at, updated_at)
         SELECT b.id, $1, $2, b.rig_id, b.idx, b.title, b.body, b.status, b.at, b.at
         FROM unnest($3::uuid[], $4::uuid[], $5::int[], $6::text[], $7::text[], $8::text[], $9::timestamptz[])
           AS b(id, rig_id, idx, title, body, status, at)`,
        [
          townId,
          convoyId,
          part.map((e) => e.data.beadId),
          part.map((e) => e.data.rigId),
          part.map((e) => e.data.index),
          part.map((e) => e.data.title),
          part.map((e) => e.data.body),
          part.map((e) => beadStatusAfter(e)),
          part.map((e) => e.occurredAt),
        ],
      );
    }
    const edges = beads.flatMap((e) => e.data.dependsOn.map((on) => [e.data.beadId, on] as const));
    for (const part of chunks(edges)) {
      await tx.query(
        `INSERT INTO bead_dependencies (bead_id, depends_on_bead_id, convoy_id, town_id)
         SELECT d.bead_id, d.depends_on, $1, $2 FROM unnest($3::uuid[], $4::uuid[]) AS d(bead_id, depends_on)
         ON CONFLICT DO NOTHING`,
        [convoyId, townId, part.map(([bead]) => bead), part.map(([, on]) => on)],
      );
    }
    await addBeadsToConvoy(tx, convoyId, beads);
  }
};

/** rig_ids keeps the default rig first, then each bead rig in plan order, so a rebuild yields the same array. */
async function addBeadsToConvoy(tx: EntityManager, convoyId: string, beads: readonly EventOf<'BeadCreated'>[]): Promise<void> {
  const rows = (await tx.query(`SELECT rig_ids FROM convoys WHERE id = $1`, [convoyId])) as { rig_ids: string[] }[];
  if (rows.length === 0) return;
  const rigIds = [...new Set([...rows[0].rig_ids, ...beads.map((e) => e.data.rigId)])];
  await tx.query(`UPDATE convoys SET rig_ids = $2::uuid[], bead_count = bead_count + $3 WHERE id = $1`, [
    convoyId,
    rigIds,
    beads.length,
  ]);
}

const convoyStarted = each<'ConvoyStarted'>((tx, e) => setConvoy(tx, e, { status: convoyStatusAfter(e) }));

const dependencyAdded = each<'DependencyAdded'>(async (tx, e) => {
  await tx.query(
    `INSERT INTO bead_dependencies (bead_id, depends_on_bead_id, convoy_id, town_id) VALUES ($1, $2, $3, $4)
     ON CONFLICT DO NOTHING`,
    [e.data.beadId, e.data.dependsOnBeadId, e.convoyId, e.townId],
  );
});

const dependencyRemoved = each<'DependencyRemoved'>(async (tx, e) => {
  await tx.query(`DELETE FROM bead_dependencies WHERE bead_id = $1 AND depends_on_bead_id = $2 AND convoy_id = $3`, [
    e.data.beadId,
    e.data.dependsOnBeadId,
    e.convoyId,
  ]);
});

const beadsBecameReady = each<'BeadsBecameReady'>((tx, e) => setBeads(tx, e, e.data.beadIds, { ready: true }));
const beadsBecameUnready = each<'BeadsBecameUnready'>((tx, e) => setBeads(tx, e, e.data.beadIds, { ready: false }));

/** Each held bead has its own reason and blockers; one statement joins them in from a JSON recordset. */
const beadsHeld = each<'BeadsHeld'>(async (tx, e) => {
  const held = e.data.beads.map((b) => ({ bead_id: b.beadId, reason: b.reason, held_by: b.heldBy }));
  await tx.query(
    `UPDATE beads SET blocked = true, blocked_reason = h.reason,
            held_by = ARRAY(SELECT jsonb_array_elements_text(h.held_by))::uuid[], updated_at = $3
     FROM jsonb_to_recordset($1::jsonb) AS h(bead_id uuid, reason text, held_by jsonb)
     WHERE beads.id = h.bead_id AND beads.convoy_id = $2`,
    [JSON.stringify(held), e.convoyId, e.occurredAt],
  );
});

const beadsReleased = each<'BeadsReleased'>((tx, e) =>
  setBeads(tx, e, e.data.beadIds, { blocked: false, blocked_reason: null, held_by: [] }),
);

const beadDispatched = each<'BeadDispatched'>((tx, e) =>
  setBead(tx, e, {
    status: beadStatusAfter(e),
    ready: false,
    assignee: e.data.agent.name,
    assignee_id: e.data.agent.id,
    branch: e.data.branch,
    base_branch: e.data.baseBranch,
    attempts: e.data.attempt,
  }),
);

const beadStarted = each<'BeadStarted'>((tx, e) => setBead(tx, e, { status: beadStatusAfter(e) }));

const beadSubmitted = each<'BeadSubmitted'>((tx, e) =>
  setBead(tx, e, { status: beadStatusAfter(e), head_commit: e.data.headCommit, branch: e.data.branch }),
);

const beadMerged = each<'BeadMerged'>((tx, e) =>
  setBead(tx, e, { status: beadStatusAfter(e), ready: false, merge_commit: e.data.mergeCommit, closed_at: e.occurredAt }),
);

/**
 * The attempt's agent is done with the bead once the attempt ends without a merge: the decider
 * forgets it, and the API must not show an OPEN or FAILED bead as still assigned to it.
 */
const NO_ASSIGNEE = { assignee: null, assignee_id: null };

/** Rework, a failed attempt and a lost agent all send the bead back to OPEN with the reason for the next attempt. */
const beadReopened = <K extends 'BeadReworkRequested' | 'BeadAttemptFailed' | 'BeadAgentLost'>() =>
  each<K>((tx, e) => setBead(tx, e, { status: beadStatusAfter(e), last_reason: e.data.reason, ...NO_ASSIGNEE }));

/** Back to OPEN without a reason of its own: the bead's last real one stays, as the decider keeps it. */
const beadInterrupted = each<'BeadAttemptInterrupted'>((tx, e) => setBead(tx, e, { status: beadStatusAfter(e), ...NO_ASSIGNEE }));

const beadFailed = each<'BeadFailed'>((tx, e) =>
  setBead(tx, e, { status: beadStatusAfter(e), ready: false, last_reason: e.data.reason, ...NO_ASSIGNEE }),
);

const beadRetried = each<'BeadRetried'>((tx, e) => setBead(tx, e, { status: beadStatusAfter(e) }));

/**
 * The bead stays IN_REVIEW with its merge under way: in a closed convoy it still lands (the close
 * leaves such a bead alone) until BeadMerged or BeadMergeAborted, which end the review.
 */
const beadMergeClaimed = each<'BeadMergeClaimed'>((tx, e) => setBead(tx, e, { merge_claimed_attempt: e.data.attempt }));

const beadMergeAborted = each<'BeadMergeAborted'>((tx, e) => setBead(tx, e, { status: beadStatusAfter(e), ready: false, last_reason: e.data.reason }));

/** Batches change no bead or convoy: they live in the merge queue (merge-queue.projector.ts) and the history. */
const mergeBatchEvent = <K extends 'MergeBatchStarted' | 'MergeBatchChecked' | 'MergeBatchEnded'>() => each<K>(async () => undefined);

const beadCancelled = each<'BeadCancelled'>((tx, e) => setBead(tx, e, { status: beadStatusAfter(e), ready: false }));

const convoyReadyToLand = each<'ConvoyReadyToLand'>((tx, e) => setConvoy(tx, e, { status: convoyStatusAfter(e) }));

/**
 * Per-rig landing records are never reset: a rig that landed stays LANDED (its main holds the
 * landing whatever happens to the others); a new attempt makes every other rig PENDING again.
 */
const convoyLandingStarted = each<'ConvoyLandingStarted'>(async (tx, e) => {
  await tx.query(
    `UPDATE convoys SET status = $3, landing_attempt = $2,
            landings = COALESCE((SELECT jsonb_agg(CASE WHEN l->>'commit' IS NOT NULL THEN l
                                                       ELSE l || '{"status":"PENDING","reason":null}'::jsonb END)
                                 FROM jsonb_array_elements(landings) l), '[]'::jsonb)
     WHERE id = $1`,
    [e.convoyId, e.data.attempt, convoyStatusAfter(e)],
  );
});

/** One rig's landing record, replacing the one it had. */
async function setRigLanding(tx: EntityManager, event: EventMeta, landing: { rigId: string; status: string; commit: string | null; reason: string | null }) {
  await tx.query(
    `UPDATE convoys SET landings = COALESCE((SELECT jsonb_agg(l) FROM jsonb_array_elements(landings) l
                                             WHERE l->>'rigId' <> $2), '[]'::jsonb) || jsonb_build_array($3::jsonb)
     WHERE id = $1`,
    [event.convoyId, landing.rigId, JSON.stringify(landing)],
  );
}

/** Records each rig's landing as it happens; ConvoyLanded later states the full set. */
const rigLanded = each<'RigLanded'>((tx, e) => setRigLanding(tx, e, { rigId: e.data.rigId, status: 'LANDED', commit: e.data.commit, reason: null }));

/** Preparation pushes nothing: the rig stays PENDING (the history shows the preparation). */
const rigLandingPrepared = each<'RigLandingPrepared'>(async () => undefined);
const convoyLandingPrepared = each<'ConvoyLandingPrepared'>(async () => undefined);

/**
 * PUSHING until its push is recorded (LANDED) or stopped (FAILED): in a closed convoy it still
 * lands, as the close answered. No commit yet, so a new attempt makes it PENDING again.
 */
const rigLandingClaimed = each<'RigLandingClaimed'>((tx, e) => setRigLanding(tx, e, { rigId: e.data.rigId, status: 'PUSHING', commit: null, reason: null }));

/** A failed attempt pushes nothing more: a rig it had granted a push is PENDING again, as the decider drops every claim. */
async function endPushes(tx: EntityManager, event: EventMeta): Promise<void> {
  await tx.query(
    `UPDATE convoys SET landings = (SELECT jsonb_agg(CASE WHEN l->>'status' = 'PUSHING' THEN l || '{"status":"PENDING"}'::jsonb ELSE l END)
                                    FROM jsonb_array_elements(landings) l)
     WHERE id = $1 AND landings @> '[{"status":"PUSHING"}]'::jsonb`,
    [event.convoyId],
  );
}

/** Not pushed because the convoy was closed: the rig's record says so. */
const rigLandingAborted = each<'RigLandingAborted'>((tx, e) => setRigLanding(tx, e, { rigId: e.data.rigId, status: 'FAILED', commit: null, reason: e.data.reason }));

const convoyLanded = each<'ConvoyLanded'>(async (tx, e) => {
  await tx.query(
    // A landing that succeeded after failed attempts is no longer failing: its old reason goes.
    `UPDATE convoys SET status = $5, landings = (SELECT jsonb_agg(l || '{"status":"LANDED","reason":null}'::jsonb)
                                                         FROM jsonb_array_elements($2::jsonb) l),
            landed_at = $3, failure_reason = NULL,
            landed_commit = COALESCE((SELECT l->>'commit' FROM jsonb_array_elements($2::jsonb) l
                                      WHERE l->>'rigId' = default_rig_id::text LIMIT 1), $4)
     WHERE id = $1`,
    [e.convoyId, JSON.stringify(e.data.landings), e.occurredAt, e.data.landings[0].commit, convoyStatusAfter(e)],
  );
});

// A failed landing attempt goes back to READY_TO_LAND for the next one (ConvoyFailed follows when it was the last).
const convoyLandingFailed = each<'ConvoyLandingFailed'>(async (tx, e) => {
  await setConvoy(tx, e, { status: convoyStatusAfter(e), failure_reason: e.data.reason });
  await endPushes(tx, e);
  if (e.data.rigId) await setRigLanding(tx, e, { rigId: e.data.rigId, status: 'FAILED', commit: null, reason: e.data.reason });
});

const convoyFailed = each<'ConvoyFailed'>((tx, e) => setConvoy(tx, e, { status: convoyStatusAfter(e), failure_reason: e.data.reason }));

const convoyReactivated = each<'ConvoyReactivated'>((tx, e) =>
  setConvoy(tx, e, { status: convoyStatusAfter(e), failure_reason: null }),
);

const convoyCancelled = each<'ConvoyCancelled'>((tx, e) =>
  setConvoy(tx, e, { status: convoyStatusAfter(e), cancel_reason: e.data.reason }),
);

/** Every event type of the contracts has exactly one handler: a new type fails to compile until it is projected. */
const handlers: { [K in EventType]: RunHandler<K> } = {
  TownCreated: townCreated,
  RigRegistered: rigRegistered,
  ConvoyCreated: convoyCreated,
  BeadCreated: beadsCreated,
  ConvoyStarted: convoyStarted,
  RigCredentialsSet: rigCredentialsSet,
  RigCredentialsCleared: rigCredentialsCleared,
  DependencyAdded: dependencyAdded,
  DependencyRemoved: dependencyRemoved,
  BeadsBecameReady: beadsBecameReady,
  BeadsBecameUnready: beadsBecameUnready,
  BeadsHeld: beadsHeld,
  BeadsReleased: beadsReleased,
  BeadDispatched: beadDispatched,
  BeadStarted: beadStarted,
  BeadSubmitted: beadSubmitted,
  BeadMerged: beadMerged,
  MergeBatchStarted: mergeBatchEvent<'MergeBatchStarted'>(),
  MergeBatchChecked: mergeBatchEvent<'MergeBatchChecked'>(),
  MergeBatchEnded: mergeBatchEvent<'MergeBatchEnded'>(),
  BeadMergeClaimed: beadMergeClaimed,
  BeadMergeAborted: beadMergeAborted,
  BeadReworkRequested: beadReopened<'BeadReworkRequested'>(),
  BeadAttemptFailed: beadReopened<'BeadAttemptFailed'>(),
  BeadAgentLost: beadReopened<'BeadAgentLost'>(),
  BeadAttemptInterrupted: beadInterrupted,
  BeadFailed: beadFailed,
  BeadRetried: beadRetried,
  BeadCancelled: beadCancelled,
  ConvoyReadyToLand: convoyReadyToLand,
  ConvoyLandingStarted: convoyLandingStarted,
  RigLandingPrepared: rigLandingPrepared,
  ConvoyLandingPrepared: convoyLandingPrepared,
  RigLandingClaimed: rigLandingClaimed,
  RigLandingAborted: rigLandingAborted,
  RigLanded: rigLanded,
  ConvoyLanded: convoyLanded,
  ConvoyLandingFailed: convoyLandingFailed,
  ConvoyFailed: convoyFailed,
  ConvoyReactivated: convoyReactivated,
  ConvoyCancelled: convoyCancelled,
  WebhookAdded: webhookAdded,
  WebhookRemoved: webhookRemoved,
};
