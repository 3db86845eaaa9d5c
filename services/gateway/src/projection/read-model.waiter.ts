import { Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Client, Notification } from 'pg';
import { PROJECTION_CHANNEL } from '../read-models/read-models.projector';
import { HOLDS_CHANNEL } from './projection.checkpoint';

/** How the waiter's connection shows in pg_stat_activity. */
export const READ_MODEL_WAITER_APPLICATION = 'gastown-read-model-waiter';

export class ReadModelTimeoutError extends Error {
  constructor(
    readonly subject: string,
    readonly seq: number,
    readonly timeoutMs: number,
    readonly hold: { seq: number; reason: string } | null,
  ) {
    super(
      `read model did not reach ${subject} seq ${seq} within ${timeoutMs} ms` +
        (hold ? ` (the subject is held at seq ${hold.seq}: ${hold.reason})` : ''),
    );
    this.name = 'ReadModelTimeoutError';
  }
}

/** The projector holds the subject at or before the awaited commit: waiting longer cannot help. */
export class SubjectHeldError extends Error {
  constructor(
    readonly subject: string,
    readonly seq: number,
    readonly hold: { seq: number; reason: string; heldAt: Date },
  ) {
    super(`read model of ${subject} is held at seq ${hold.seq} since ${hold.heldAt.toISOString()}: ${hold.reason}`);
    this.name = 'SubjectHeldError';
  }
}

export interface ReadModelWaiterOptions {
  /** A slow safety net in case a notification is lost; the hot path is LISTEN/NOTIFY. */
  recheckMs?: number;
  reconnectMs?: number;
}

interface Pending {
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Lets a writer's caller read its own writes: after a command is appended at (subject, seq),
 * waitFor resolves once the read models have applied that commit. One dedicated connection
 * listens to the projector's notifications; the checkpoint table answers anything that
 * happened before the listener was attached.
 */
export class ReadModelWaiter implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ReadModelWaiter.name);
  private readonly pending = new Map<string, Set<Pending>>();
  private client: Client | null = null;
  private connecting: Promise<Client> | null = null;
  private recheckTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly recheckMs: number;
  private readonly reconnectMs: number;

  constructor(
    private readonly databaseUrl: string,
    options: ReadModelWaiterOptions = {},
  ) {
    this.recheckMs = options.recheckMs ?? 1000;
    this.reconnectMs = options.reconnectMs ?? 500;
  }

  async onModuleInit(): Promise<void> {
    await this.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.close();
  }

  async start(): Promise<void> {
    await this.connect();
    this.recheckTimer ??= setInterval(() => void this.recheck([...this.pending.keys()]), this.recheckMs);
    this.recheckTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.recheckTimer) clearInterval(this.recheckTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    for (const [subject, waiters] of this.pending) {
      for (const w of waiters) {
        clearTimeout(w.timer);
        w.reject(new Error(`read model waiter closed while waiting for ${subject} seq ${w.seq}`));
      }
    }
    this.pending.clear();
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  waitFor(subject: string, seq: number, timeoutMs = 10_000): Promise<void> {
    if (this.closed) return Promise.reject(new Error('read model waiter is closed'));
    // Sequence 0 is "nothing appended" (e.g. a duplicate command that wrote nothing): already visible.
    if (seq <= 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiters = this.pending.get(subject) ?? new Set<Pending>();
      this.pending.set(subject, waiters);
      const entry: Pending = {
        seq,
        resolve,
        reject,
        timer: setTimeout(() => void this.expire(subject, entry, timeoutMs), timeoutMs),
      };
      waiters.add(entry);
      // Registered before the query, so a commit landing in between is seen by one or the other.
      void this.recheck([subject]);
    });
  }

  /** Waiters for the held commit or a later one learn at once that it will not be applied. */
  private refuseHeld(subject: string, hold: { seq: number; reason: string; heldAt: Date }): void {
    const waiters = this.pending.get(subject);
    if (!waiters) return;
    for (const w of waiters) {
      if (w.seq >= hold.seq) {
        clearTimeout(w.timer);
        waiters.delete(w);
        w.reject(new SubjectHeldError(subject, w.seq, hold));
      }
    }
    if (waiters.size === 0) this.pending.delete(subject);
  }

  private settle(subject: string, lastSeq: number): void {
    const waiters = this.pending.get(subject);
    if (!waiters) return;
    for (const w of waiters) {
      if (w.seq <= lastSeq) {
        clearTimeout(w.timer);
        waiters.delete(w);
        w.resolve();
      }
    }
    if (waiters.size === 0) this.pending.delete(subject);
  }

  private async expire(subject: string, entry: Pending, timeoutMs: number): Promise<void> {
    const waiters = this.pending.get(subject);
    if (!waiters?.delete(entry)) return;
    if (waiters.size === 0) this.pending.delete(subject);
    entry.reject(new ReadModelTimeoutError(subject, entry.seq, timeoutMs, await this.holdOf(subject)));
  }

  private async holdOf(subject: string): Promise<{ seq: number; reason: string } | null> {
    try {
      const client = await this.connect();
      const { rows } = await client.query<{ seq: string; reason: string }>(
        `SELECT seq, reason FROM projection_holds WHERE subject = $1`,
        [subject],
      );
      return rows[0] ? { seq: Number(rows[0].seq), reason: rows[0].reason } : null;
    } catch {
      return null;
    }
  }

  private async recheck(subjects: string[]): Promise<void> {
    if (subjects.length === 0 || this.closed) return;
    try {
      const client = await this.connect();
      const { rows } = await client.query<{ subject: string; last_seq: string | null; held_seq: string | null; reason: string | null; held_at: Date | null }>(
        `SELECT s.subject, c.last_seq, h.seq AS held_seq, h.reason, h.held_at
         FROM unnest($1::text[]) AS s(subject)
         LEFT JOIN projection_checkpoints c ON c.subject = s.subject
         LEFT JOIN projection_holds h ON h.subject = s.subject`,
        [subjects],
      );
      for (const row of rows) {
        if (row.last_seq !== null) this.settle(row.subject, Number(row.last_seq));
        if (row.held_seq !== null && row.reason !== null && row.held_at !== null) {
          this.refuseHeld(row.subject, { seq: Number(row.held_seq), reason: row.reason, heldAt: row.held_at });
        }
      }
    } catch (error) {
      // The reconnect path re-checks every pending subject; the timeout bounds the wait meanwhile.
      this.logger.warn(`checkpoint check failed: ${(error as Error).message}`);
    }
  }

  private connect(): Promise<Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.open().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async open(): Promise<Client> {
    if (this.closed) throw new Error('read model waiter is closed');
    const client = new Client({ connectionString: this.databaseUrl, application_name: READ_MODEL_WAITER_APPLICATION });
    client.on('notification', (n: Notification) => this.onNotification(n));
    client.on('error', (error) => this.onLost(client, error));
    client.on('end', () => this.onLost(client, null));
    await client.connect();
    try {
      await client.query(`LISTEN ${PROJECTION_CHANNEL}`);
      await client.query(`LISTEN ${HOLDS_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      throw new Error('read model waiter is closed');
    }
    this.client = client;
    return client;
  }

  private onNotification(n: Notification): void {
    if (n.channel === HOLDS_CHANNEL && n.payload) {
      if (this.pending.has(n.payload)) void this.recheck([n.payload]);
      return;
    }
    if (n.channel !== PROJECTION_CHANNEL || !n.payload) return;
    const space = n.payload.lastIndexOf(' ');
    this.settle(n.payload.slice(0, space), Number(n.payload.slice(space + 1)));
  }

  private onLost(client: Client, error: Error | null): void {
    if (this.client !== client) return;
    this.client = null;
    client.removeAllListeners('notification');
    if (this.closed) return;
    this.logger.warn(`listener connection lost${error ? `: ${error.message}` : ''}; reconnecting`);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || this.closed) return;
    this.reconnectTimer = setTimeout(async () => {
      this.reconnectTimer = null;
      try {
        await this.connect();
        // Notifications sent while disconnected are gone: the checkpoints tell what they said.
        await this.recheck([...this.pending.keys()]);
      } catch (error) {
        this.logger.warn(`reconnect failed: ${(error as Error).message}`);
        this.scheduleReconnect();
      }
    }, this.reconnectMs);
    this.reconnectTimer.unref();
  }
}
