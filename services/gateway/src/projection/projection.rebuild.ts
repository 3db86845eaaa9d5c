import { DeliverPolicy } from '@nats-io/jetstream';
import { EventStore, PoisonMessageError, type Bus, type EventParser, type StoredCommit } from '@gastown/bus';
import { InvalidEventError, parseEvent } from '@gastown/contracts';
import { QueryFailedError, type DataSource, type EntityManager } from 'typeorm';
import { applyCommit } from '../read-models/read-models.projector';
import { holdSubject, listHolds, listSkips, passSkippedCommit, poisonReason, type ProjectionHold } from './projection.applier';
import { envelopeOnly } from './projection.runner';

export interface RebuildOptions {
  parse?: EventParser;
  /** Commits per transaction; a large plan is one commit and still one transaction. */
  batchCommits?: number;
  /** Events per transaction, so a batch of big commits stays a reasonable transaction. */
  batchEvents?: number;
}

export interface RebuildReport {
  /** The stream sequence the replay stopped at: everything up to it is in the read models. */
  readonly lastSeq: number;
  readonly subjects: number;
  readonly commits: number;
  readonly events: number;
  readonly transactions: number;
  readonly holds: ProjectionHold[];
  readonly seconds: number;
}

/**
 * Everything projected from the event stream. The webhook delivery tables are not: they come from
 * the delivery log, whose projector finds its checkpoints gone and simply applies its next records.
 */
const READ_MODEL_TABLES = ['towns', 'rigs', 'webhooks', 'convoys', 'beads', 'bead_dependencies', 'bead_attempts', 'agents', 'merge_queue', 'convoy_events', 'town_bounds', 'projection_checkpoints', 'projection_holds'];
const CONSUMER_BUFFER_BYTES = 8 * 1024 * 1024;
/**
 * A batch and the live projector can deadlock: rows shared by every convoy of a town (its agents)
 * are locked in the batch's order by one and in stream order by the other. PostgreSQL rolls one
 * back; the batch is then simply applied again.
 */
const BATCH_TRIES = 5;

function isLockConflict(error: unknown): boolean {
  const code = error instanceof QueryFailedError ? (error.driverError as { code?: unknown } | undefined)?.code : undefined;
  return code === '40P01' || code === '40001';
}

/** A replayed message: its commit (with its events as stored), or why it cannot be one. */
type Replayed = (StoredCommit & { readonly storedEvents: readonly unknown[] }) | PoisonMessageError;

/**
 * Empties the read models and replays the whole event stream into them through the same
 * applyCommit as the live projector. Every commit is a compare-and-set on its subject's
 * checkpoint, so a live projector running meanwhile only ever finds its work done ('duplicate')
 * or fills gaps from the stream itself; both arrive at the same rows.
 */
export async function rebuildReadModels(dataSource: DataSource, bus: Bus, options: RebuildOptions = {}): Promise<RebuildReport> {
  const started = process.hrtime.bigint();
  const batchCommits = options.batchCommits ?? 200;
  const batchEvents = options.batchEvents ?? 5000;
  const store = new EventStore(bus, { parse: envelopeOnly });
  const parse = options.parse ?? parseEvent;

  await dataSource.transaction(async (tx) => {
    await tx.query(`TRUNCATE ${READ_MODEL_TABLES.join(', ')}`);
  });
  // projection_skips is the operator's record, not a read model: the replay passes over those commits again.
  const skipped = new Set((await listSkips(dataSource)).map((skip) => skipKey(skip.subject, skip.seq)));

  const stream = bus.names.eventStream;
  const lastSeq = (await bus.jsm.streams.info(stream)).state.last_seq;
  const subjects = new Set<string>();
  const held = new Set<string>();
  let commits = 0;
  let events = 0;
  let transactions = 0;
  let batch: Replayed[] = [];
  let batchSize = 0;

  const flush = async () => {
    if (batch.length === 0) return;
    const items = batch;
    batch = [];
    batchSize = 0;
    for (let tries = 1; ; tries++) {
      const heldBefore = new Set(held);
      try {
        await dataSource.transaction((tx) => applyBatch(tx, items, held, skipped));
        break;
      } catch (error) {
        if (!isLockConflict(error) || tries >= BATCH_TRIES) throw error;
        // The batch was rolled back whole, holds included; the live projector may have applied some of it meanwhile.
        held.clear();
        for (const subject of heldBefore) held.add(subject);
      }
    }
    transactions++;
  };

  if (lastSeq > 0) {
    const consumer = await bus.js.consumers.get(stream, {
      filter_subjects: bus.names.allEvents,
      deliver_policy: DeliverPolicy.All,
    });
    const messages = await consumer.consume({ max_bytes: CONSUMER_BUFFER_BYTES });
    try {
      for await (const m of messages) {
        if (m.seq > lastSeq) break;
        const item = await decode(store, parse, { subject: m.subject, seq: m.seq, data: m.data, time: m.time });
        subjects.add(m.subject);
        if (!(item instanceof PoisonMessageError)) {
          commits++;
          events += item.events.length;
          batchSize += item.events.length;
        }
        batch.push(item);
        if (batch.length >= batchCommits || batchSize >= batchEvents) await flush();
        if (m.seq >= lastSeq || m.info.pending === 0) break;
      }
    } finally {
      await messages.close();
      await consumer.delete().catch(() => undefined);
    }
    await flush();
  }

  return {
    lastSeq,
    subjects: subjects.size,
    commits,
    events,
    transactions,
    holds: await listHolds(dataSource),
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
}

/** Reads the commit as stored, then upcasts its events as the live projector does. */
async function decode(
  store: EventStore,
  parse: EventParser,
  message: Parameters<EventStore['decodeCommit']>[0],
): Promise<Replayed> {
  try {
    const stored = await store.decodeCommit(message);
    const events = stored.events.map((event, index) => {
      try {
        return parse(event);
      } catch (error) {
        if (!(error instanceof InvalidEventError)) throw error;
        throw new PoisonMessageError(stored.subject, stored.seq, `event ${index}: ${error.message}`);
      }
    });
    return { ...stored, events, storedEvents: stored.events };
  } catch (error) {
    if (error instanceof PoisonMessageError) return error;
    throw error;
  }
}

/**
 * Applies a batch in one transaction. Each commit runs under a savepoint, so a commit the schema
 * rejects holds its subject without undoing the rest of the batch.
 */
async function applyBatch(tx: EntityManager, items: readonly Replayed[], held: Set<string>, skipped: ReadonlySet<string>): Promise<void> {
  for (const item of items) {
    if (held.has(item.subject)) continue;
    if (skipped.has(skipKey(item.subject, item.seq))) {
      await passSkippedCommit(tx, item.subject, item.seq);
      continue;
    }
    if (item instanceof PoisonMessageError) {
      await hold(tx, held, item.subject, item.seq, item.reason);
      continue;
    }
    await tx.query('SAVEPOINT replay_commit');
    try {
      const outcome = await applyCommit(tx, item, item.storedEvents);
      if (outcome === 'gap') {
        await hold(tx, held, item.subject, item.seq, `commit follows seq ${item.prevSeq}, which the replay did not apply`);
      }
      await tx.query('RELEASE SAVEPOINT replay_commit');
    } catch (error) {
      const reason = poisonReason(error);
      if (reason === null) throw error;
      await tx.query('ROLLBACK TO SAVEPOINT replay_commit');
      await hold(tx, held, item.subject, item.seq, reason);
    }
  }
}

function skipKey(subject: string, seq: number): string {
  return `${subject} ${seq}`;
}

async function hold(tx: EntityManager, held: Set<string>, subject: string, seq: number, reason: string): Promise<void> {
  held.add(subject);
  await holdSubject(tx, subject, seq, reason);
}
