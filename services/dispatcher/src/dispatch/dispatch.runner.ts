import { DeliverPolicy, type Consumer, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import {
  CommandClient,
  contextOfCarrier,
  EventStore,
  exportConsumerLag,
  gaugeSource,
  histogram,
  inSpan,
  PoisonMessageError,
  publishWork,
  readRawSubject,
  SpanKind,
  withLogFields,
  type Bus,
  type BusLogger,
  type DeadLetter,
  type HoldRecord,
  type RawStoredMessage,
  type ReleaseRequest,
  type StoredCommit,
  type TraceCarrier,
} from '@gastown/bus';
import type { ReadinessCheck } from '@gastown/service-runtime';
import { InvalidEventError, jobId, parseEventSubject, type CommandReply } from '@gastown/contracts';
import {
  backoffMs,
  isAwaitingDispatch,
  plan,
  type Dispatch,
  type Effect,
  type PlanLimits,
  type StartLanding,
} from './dispatch.planner';
import { DispatchHolds, judgeRelease } from '../holds/dispatch.holds';
import { DispatchState } from './dispatch.state';
import { EffectLedger } from './effect.ledger';
import { DEFAULT_RECONCILE_LIMITS, type ReconcileLimits } from '../reconcile/reconcile.planner';
import { Reconciler } from '../reconcile/reconcile.runner';

export interface DispatchRunnerOptions {
  limits: PlanLimits;
  /** This replica's name, for its log lines. */
  dispatcherId: string;
  log: BusLogger;
  /** How long a command may wait for the convoy service before it counts as unanswered. */
  commandTimeoutMs?: number;
  /** Deadline of one read of a commit kept in the object store (a large plan). */
  payloadReadTimeoutMs?: number;
  /**
   * Reads of one commit, the first included, before it is treated as poison: parked in the
   * dead-letter stream and its convoy held, so the follower moves on to every other convoy.
   */
  readAttempts?: number;
  /** Deadlines of dispatched work that has not started or ended (see reconcile.planner.ts). */
  reconcile?: ReconcileLimits;
}

export const DEFAULT_READ_ATTEMPTS = 3;

const DLQ_CONSUMER = 'dispatcher';
const ACTOR = { kind: 'service', id: 'dispatcher' } as const;
/** Bounds what the stream follower buffers client-side; a commit can be up to 1 MB. */
const FOLLOW_BUFFER_BYTES = 8 * 1024 * 1024;
const REFOLLOW_DELAY_MS = 1_000;
/**
 * How long one pull waits on the server before it is renewed. After a reconnect that finds
 * JetStream still recovering (a restarted nats-server), the client checks the consumer again
 * only after this long: at the library's 30 s default, no bead of any town was dispatched for
 * 30 s after a NATS restart.
 */
const FOLLOW_PULL_EXPIRES_MS = 5_000;
const REASON_MAX_CHARS = 1_000;
/** setTimeout fires at once for anything longer. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));
const clip = (text: string) => (text.length > REASON_MAX_CHARS ? `${text.slice(0, REASON_MAX_CHARS)}…` : text);
/**
 * Convoys whose last commit's trace is kept, so the dispatch, job or landing it leads to continues
 * the trace of the command that decided it; the oldest is forgotten past this many.
 */
const TRACED_CONVOYS = 10_000;
/** Beads whose readiness time is kept until their dispatch, for the dispatch latency. */
const TIMED_BEADS = 100_000;
const dispatchLatency = histogram('gastown_dispatch_latency_seconds');

/** Sets `key` as the newest entry, forgetting the oldest past `limit`. */
function remember<V>(map: Map<string, V>, key: string, value: V, limit: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > limit) map.delete(map.keys().next().value as string);
}

function convoyOf(effect: Effect): string {
  if (effect.kind === 'job') return effect.job.convoyId;
  if (effect.kind === 'cancel') return effect.cancel.convoyId;
  return effect.convoyId;
}

/**
 * The adapter around the planner: follows the event stream into the state, runs a planning pass
 * after each change (one per event-loop turn), carries out each planned effect once, and wakes
 * itself with a timer when a back-off ends. It never polls.
 */
export class DispatchRunner {
  private readonly state = new DispatchState();
  private readonly ledger = new EffectLedger();
  /** Dispatches sent or waiting for a retry, until their BeadDispatched is folded. */
  private readonly dispatching = new Map<string, Dispatch>();
  /** Unanswered or failed attempts per effect key, for the retry back-off. */
  private readonly failures = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly store: EventStore;
  private readonly commands: CommandClient;
  private readonly log: BusLogger;
  private readonly reconciler: Reconciler;
  private readonly holds: DispatchHolds;
  /** Reads of the stream and re-reads of a released convoy take turns: each folds a subject in order. */
  private folding: Promise<void> = Promise.resolve();
  private wake: { at: number; timer: NodeJS.Timeout } | null = null;
  private passQueued: NodeJS.Immediate | null = null;
  private caughtUp = false;
  private stopping = false;
  private lastStreamSeq = 0;
  /** Commits of the stream not yet delivered to the follower, as of the last one it received. */
  private pending = 0;
  /** Whether the follower is pulling now (it is not between a failure and its next start). */
  private pulling = false;
  private readonly traces = new Map<string, TraceCarrier>();
  private readonly readyAt = new Map<string, number>();
  private readonly stopExporting: (() => void)[] = [];
  private messages: ConsumerMessages | undefined;
  private following: Promise<void> | undefined;
  private markStopped: () => void = () => undefined;
  private readonly stopped = new Promise<void>((resolve) => (this.markStopped = resolve));

  constructor(
    private readonly bus: Bus,
    private readonly options: DispatchRunnerOptions,
  ) {
    this.store = new EventStore(bus, { payloadReadTimeoutMs: options.payloadReadTimeoutMs });
    this.commands = new CommandClient(bus);
    this.log = options.log;
    this.holds = new DispatchHolds(bus, options.log);
    this.reconciler = new Reconciler(bus, this.state, options.reconcile ?? DEFAULT_RECONCILE_LIMITS, options.log);
  }

  /** Resolves once the whole stream is folded; the first planning pass is queued by then. */
  async start(): Promise<void> {
    this.stopExporting.push(
      exportConsumerLag('dispatcher', async () => ({ bound: true, pending: this.pending, ackPending: 0 })),
      gaugeSource('gastown_holds', (set) => set({}, this.holds.count())),
    );
    const { state } = await this.bus.jsm.streams.info(this.bus.names.eventStream);
    await this.holds.load();
    let ready: () => void = () => undefined;
    const caughtUp = new Promise<void>((resolve) => (ready = resolve));
    this.following = this.follow(state.last_seq, ready);
    if (state.last_seq === 0) this.markCaughtUp(ready);
    await Promise.race([caughtUp, this.stopped]);
    if (this.stopping) return;
    // Requests made while no dispatcher ran come first; each is judged against the whole stream read.
    await this.holds.settle();
    await this.holds.watch((subject, request) => {
      void this.inTurn(() => this.release(subject, request)).catch((error: unknown) =>
        this.log.error(`could not release ${subject} (${request.action}): ${describe(error)}`),
      );
    });
  }

  /** Ready: the whole stream was read once and the follower is pulling, so new commits are dispatched. */
  readiness(): ReadinessCheck[] {
    return [
      {
        name: 'event stream follower',
        check: () => {
          if (!this.caughtUp) return { ok: false, reason: `still reading the event stream (at #${this.lastStreamSeq})` };
          if (!this.pulling) return { ok: false, reason: `not following the event stream (last commit read #${this.lastStreamSeq}); starting again` };
          return { ok: true, detail: `at #${this.lastStreamSeq}, ${this.pending} behind` };
        },
      },
    ];
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.stopExporting.splice(0).forEach((stop) => stop());
    this.markStopped();
    this.holds.stop();
    if (this.passQueued) clearImmediate(this.passQueued);
    if (this.wake) clearTimeout(this.wake.timer);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.reconciler.stop();
    await this.messages?.close().catch(() => undefined);
    await this.following;
    await Promise.all(this.inFlight);
  }

  private async follow(target: number, ready: () => void): Promise<void> {
    while (!this.stopping && !this.bus.nc.isClosed()) {
      let consumer: Consumer | undefined;
      try {
        // The ordered consumer re-creates itself after a gap or a lost connection; this loop only
        // starts a new one, after the last folded commit, if the client gives up altogether.
        consumer = await this.bus.js.consumers.get(this.bus.names.eventStream, {
          filter_subjects: this.bus.names.allEvents,
          ...(this.lastStreamSeq > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.lastStreamSeq + 1 } : {}),
        });
        this.messages = await consumer.consume({ max_bytes: FOLLOW_BUFFER_BYTES, expires: FOLLOW_PULL_EXPIRES_MS });
        this.pulling = true;
        if (this.stopping) await this.messages.close();
        for await (const m of this.messages) {
          if (this.stopping) break;
          await this.inTurn(() => this.receive(m));
          if (!this.caughtUp && (m.seq >= target || m.info.pending === 0)) this.markCaughtUp(ready);
        }
      } catch (error) {
        this.log.error(`stopped following the event stream: ${describe(error)}`);
      } finally {
        this.pulling = false;
        await consumer?.delete().catch(() => undefined);
      }
      if (!this.stopping && !this.bus.nc.isClosed()) {
        this.log.warn(`following the event stream again from #${this.lastStreamSeq + 1} in ${REFOLLOW_DELAY_MS} ms`);
        await this.pause(REFOLLOW_DELAY_MS);
      }
    }
  }

  private async receive(m: JsMsg): Promise<void> {
    const raw: RawStoredMessage = { subject: m.subject, seq: m.seq, data: m.data, time: m.time, headers: m.headers };
    this.pending = m.info.pending;
    const commit = await this.read(raw);
    if (this.stopping) return;
    this.lastStreamSeq = m.seq;
    if (commit !== null) this.fold(commit);
  }

  private fold(commit: StoredCommit): void {
    const outcome = this.state.apply(commit);
    if (outcome.applied) this.reconciler.observe(commit);
    if (outcome.applied && outcome.convoyId !== null) this.observe(outcome.convoyId, commit);
    if (!outcome.applied || outcome.convoyId === null) {
      if (outcome.applied) this.schedulePass();
      return;
    }
    this.ledger.convoyChanged(outcome.convoyId);
    this.schedulePass();
  }

  /** Keeps the convoy's latest trace, and times each bead from ready to dispatched. */
  private observe(convoyId: string, commit: StoredCommit): void {
    if (commit.trace) remember(this.traces, convoyId, commit.trace, TRACED_CONVOYS);
    const at = commit.time?.getTime();
    if (at === undefined) return;
    for (const event of commit.events) {
      if (event.type === 'BeadsBecameReady') {
        for (const beadId of event.data.beadIds) remember(this.readyAt, beadId, at, TIMED_BEADS);
      } else if (event.type === 'BeadDispatched') {
        const ready = this.readyAt.get(event.data.beadId);
        this.readyAt.delete(event.data.beadId);
        // Only what this process saw live: a replay of old commits would report old waits.
        if (ready !== undefined && this.caughtUp) dispatchLatency.observe({}, Math.max(0, at - ready) / 1000);
      }
    }
  }

  /** The commit, or null when the operator skipped it or it cannot be decoded. */
  private read(raw: RawStoredMessage): Promise<StoredCommit | null> {
    if (!this.holds.isSkipped(raw.subject, raw.seq)) return this.decode(raw);
    this.state.skip(raw.subject, raw.seq);
    return Promise.resolve(null);
  }

  private inTurn(task: () => Promise<void>): Promise<void> {
    const turn = this.folding.then(task);
    this.folding = turn.catch(() => undefined);
    return turn;
  }

  /**
   * The operator's retry (after a fix) or skip of a held convoy: its subject is read again from
   * the held message on, with every read rule, so it flows again or holds again with a new reason.
   */
  private async release(subject: string, request: ReleaseRequest): Promise<void> {
    const hold = this.holds.heldAt(subject);
    const verdict = judgeRelease(hold, request);
    if (verdict === 'not-mine' || !hold) return;
    if (verdict === 'stale') {
      this.log.warn(`release of ${subject}#${request.seq} ignored: held at #${hold.seq}`);
      await this.holds.answered(subject);
      return;
    }
    if (hold.convoyId === null) {
      await this.releaseTown(subject, hold, request);
      return;
    }
    const { convoyId } = hold;
    if (request.action === 'skip') {
      await this.holds.skip(hold, request.reason);
      this.log.warn(`skipping ${subject}#${hold.seq} (held: ${hold.reason}) on the operator's word: ${request.reason}`);
    }
    this.state.release(subject, convoyId, hold.seq - 1);
    for (const raw of await readRawSubject(this.bus, this.bus.names.eventStream, subject, hold.seq - 1)) {
      if (this.stopping) return;
      const commit = await this.read(raw);
      if (commit !== null) this.fold(commit);
    }
    if (this.state.convoys.get(convoyId)?.held) {
      this.log.warn(`${subject} is still held after the operator's ${request.action}`);
    } else {
      this.log.info(`${subject} flows again after the operator's ${request.action} (held at #${hold.seq} since ${hold.since})`);
      await this.holds.resolved(subject);
    }
    await this.holds.answered(subject);
    this.ledger.convoyChanged(convoyId);
    this.schedulePass();
  }

  /**
   * A town's held commit, retried or skipped: the town's commits are read again from it on, and
   * one that still cannot be read holds the town again. Its convoys went on meanwhile.
   */
  private async releaseTown(subject: string, hold: HoldRecord, request: ReleaseRequest): Promise<void> {
    if (request.action === 'skip') {
      await this.holds.skip(hold, request.reason);
      this.log.warn(`skipping ${subject}#${hold.seq} (held: ${hold.reason}) on the operator's word: ${request.reason}`);
    }
    this.holds.reopen(subject);
    this.state.rewind(subject, hold.seq - 1);
    for (const raw of await readRawSubject(this.bus, this.bus.names.eventStream, subject, hold.seq - 1)) {
      if (this.stopping) return;
      const commit = await this.read(raw);
      if (commit !== null) this.fold(commit);
    }
    const again = this.holds.heldAt(subject);
    if (again) {
      this.log.warn(`${subject} is still held at #${again.seq} after the operator's ${request.action}`);
    } else {
      this.log.info(`${subject} reads again after the operator's ${request.action} (held at #${hold.seq} since ${hold.since})`);
      await this.holds.resolved(subject);
    }
    await this.holds.answered(subject);
    this.schedulePass();
  }

  /**
   * The commit, or null when it can never be decoded or could not be read in the attempts
   * allowed (it is parked and its convoy held). Commits are folded in stream order, so every
   * later commit of every town waits while one is retried: the bound keeps that wait short.
   */
  private async decode(raw: RawStoredMessage): Promise<StoredCommit | null> {
    const attempts = this.options.readAttempts ?? DEFAULT_READ_ATTEMPTS;
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        return await this.store.decodeCommit(raw);
      } catch (error) {
        if (error instanceof PoisonMessageError || error instanceof InvalidEventError) {
          await this.park(raw, error instanceof PoisonMessageError ? error.reason : error.message);
          return null;
        }
        if (attempt >= attempts) {
          await this.park(raw, `could not be read in ${attempts} attempts: ${describe(error)}`);
          return null;
        }
        const delay = backoffMs(attempt, this.options.limits);
        this.log.warn(`could not read ${raw.subject}#${raw.seq} (${describe(error)}); trying again in ${delay} ms`);
        await this.pause(delay);
      }
    }
    return null;
  }

  private async park(raw: RawStoredMessage, why: string): Promise<void> {
    if (await this.holds.skippedElsewhere(raw.subject, raw.seq)) {
      this.state.skip(raw.subject, raw.seq);
      return;
    }
    const reason = clip(why);
    const scope = parseEventSubject(this.bus.names.namespace, raw.subject);
    const held = scope?.convoyId ? `convoy ${scope.convoyId} is held` : 'no convoy to hold';
    this.log.error(`cannot decode ${raw.subject}#${raw.seq}, ${held}: ${reason}`);
    const letter: DeadLetter = {
      consumer: DLQ_CONSUMER,
      stream: this.bus.names.eventStream,
      streamSeq: raw.seq,
      subject: raw.subject,
      reason,
      deliveryCount: 1,
      parkedAt: new Date().toISOString(),
    };
    try {
      // Every replica parks the same message under the same id: the server keeps one record.
      await this.bus.js.publish(this.bus.names.dlq(DLQ_CONSUMER), JSON.stringify(letter), {
        msgID: `${letter.stream}:${DLQ_CONSUMER}:${raw.seq}`,
      });
    } catch (error) {
      this.log.error(`could not record the dead letter of ${raw.subject}#${raw.seq}: ${describe(error)}`);
    }
    if (!scope) return;
    this.state.hold(raw.subject, raw.seq, scope.townId, scope.convoyId, reason);
    if (scope.convoyId === null) {
      // A town commit is passed over, so the town's convoys go on; but what it registered (a rig)
      // is unknown here, and the town is told. Its first such commit is the one to retry or skip.
      if (!this.holds.heldAt(raw.subject)) await this.holds.hold({ subject: raw.subject, seq: raw.seq, townId: scope.townId, convoyId: null, reason });
    } else if (this.state.convoys.get(scope.convoyId)?.held) {
      await this.holds.hold({ subject: raw.subject, seq: raw.seq, townId: scope.townId, convoyId: scope.convoyId, reason });
    }
  }

  private markCaughtUp(ready: () => void): void {
    if (this.caughtUp) return;
    this.caughtUp = true;
    const { convoys, rigs } = this.state;
    this.log.info(`${this.options.dispatcherId} caught up with the event stream at #${this.lastStreamSeq} (convoys open: ${convoys.size}, rigs: ${rigs.size})`);
    ready();
    this.schedulePass();
  }

  /** One pass per event-loop turn, however many commits arrived in it. */
  private schedulePass(): void {
    if (this.passQueued || !this.caughtUp || this.stopping) return;
    this.passQueued = setImmediate(() => {
      this.passQueued = null;
      this.pass();
    });
  }

  private pass(): void {
    if (this.stopping) return;
    const now = Date.now();
    const { limits } = this.options;
    this.state.forgetCancellationsBefore(now - limits.cancelReplayMs);
    this.letGo();
    const actions = plan(this.state, now, { effects: this.ledger, dispatching: this.dispatching.values() }, limits);
    for (const action of actions) {
      if (action.kind === 'wake') this.wakeAt(action.at, now);
      else this.execute(action);
    }
    this.reconciler.update(now);
  }

  /** Dispatches whose event has been folded, and the keys of convoys that are gone for good. */
  private letGo(): void {
    for (const [key, dispatch] of this.dispatching) {
      if (!isAwaitingDispatch(this.state, dispatch)) this.dispatching.delete(key);
    }
    for (const convoyId of this.ledger.convoys()) {
      if (this.state.convoys.has(convoyId) || this.state.cancellations.has(convoyId)) continue;
      for (const key of this.ledger.forgetConvoy(convoyId)) this.failures.delete(key);
    }
  }

  private wakeAt(at: number, now: number): void {
    if (this.wake && this.wake.at <= at) return;
    if (this.wake) clearTimeout(this.wake.timer);
    const timer = setTimeout(
      () => {
        this.wake = null;
        this.schedulePass();
      },
      Math.min(at - now, MAX_TIMER_MS),
    );
    this.wake = { at, timer };
  }

  private execute(effect: Effect): void {
    this.ledger.mark(convoyOf(effect), effect.key);
    if (effect.kind === 'dispatch') this.dispatching.set(effect.key, effect);
    const task: Promise<void> = this.carryOut(effect)
      .then(() => {
        this.failures.delete(effect.key);
      })
      .catch((error: unknown) => this.retryLater(effect, describe(error)))
      .finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
  }

  /**
   * Each effect continues the trace of its convoy's last commit (the decision that called for it)
   * and names its town, convoy and bead in the log lines it writes.
   */
  private carryOut(effect: Effect): Promise<void> {
    const convoyId = convoyOf(effect);
    const scope = {
      townId: effect.kind === 'job' ? effect.job.townId : effect.kind === 'cancel' ? effect.cancel.townId : effect.townId,
      convoyId,
      beadId: effect.kind === 'dispatch' ? effect.beadId : effect.kind === 'job' && 'beadId' in effect.job ? effect.job.beadId : undefined,
    };
    return withLogFields(scope, () =>
      inSpan(
        `dispatcher ${effect.kind}`,
        { kind: SpanKind.INTERNAL, parent: contextOfCarrier(this.traces.get(convoyId)), attributes: { 'gastown.town_id': scope.townId, 'gastown.convoy_id': convoyId } },
        () => this.carryOutNow(effect),
      ),
    );
  }

  private async carryOutNow(effect: Effect): Promise<void> {
    const { names } = this.bus;
    switch (effect.kind) {
      case 'dispatch': {
        const { beadId, beadIndex, convoyId, agent, attempt } = effect;
        this.log.info(`dispatch bead #${beadIndex} ${beadId} of convoy ${convoyId} to ${agent.name} (attempt ${attempt})`);
        const reply = await this.command(effect, { type: 'DispatchBead', data: { beadId, agent } });
        if (reply.ok && reply.duplicate) this.log.info(`bead ${beadId} attempt ${attempt} was already dispatched`);
        return;
      }
      case 'start-landing': {
        this.log.info(`start landing convoy ${effect.convoyId} (attempt ${effect.attempt})`);
        const reply = await this.command(effect, { type: 'StartLanding', data: {} });
        if (reply.ok) this.log.info(`landing started for convoy ${effect.convoyId} (attempt ${effect.attempt})`);
        return;
      }
      case 'job': {
        const { job } = effect;
        // The job id is the message id: a replica or a restart publishing it again stores nothing new.
        await publishWork(this.bus, names.job(job.kind, job.rigId), job, { msgID: jobId(job), span: `publish ${job.kind} job` });
        this.log.info(`job published: ${jobId(job)}`);
        return;
      }
      case 'cancel':
        this.bus.nc.publish(names.cancelBroadcast, JSON.stringify(effect.cancel));
        this.state.cancellations.delete(effect.cancel.convoyId);
        this.log.info(`cancel broadcast for convoy ${effect.cancel.convoyId}`);
        return;
    }
  }

  /**
   * Sends a command and sorts its reply: a refusal is final for the state it was judged on,
   * an unanswered or UNAVAILABLE command is thrown back to be retried with the same id.
   */
  private async command(effect: Dispatch | StartLanding, body: { type: string; data: object }): Promise<CommandReply> {
    const reply = await this.commands.request<CommandReply>(
      this.bus.names.commands.convoy,
      {
        ...body,
        commandId: effect.commandId,
        townId: effect.townId,
        convoyId: effect.convoyId,
        actor: ACTOR,
        correlationId: effect.convoyId,
      },
      { timeoutMs: this.options.commandTimeoutMs ?? 5_000 },
    );
    if (reply.ok) return reply;
    const { code, message } = reply.error;
    if (code === 'UNAVAILABLE' || code === 'INTERNAL') throw new Error(`${code}: ${message}`);
    this.log.info(`${effect.commandId} refused (${code}): ${clip(message)}`);
    this.refuse(effect);
    return reply;
  }

  private refuse(effect: Dispatch | StartLanding): void {
    this.dispatching.delete(effect.key);
    this.ledger.refuse(effect.convoyId, effect.key);
    // A refusal can be judged on a commit this process has not folded yet; if no commit of the
    // convoy arrives to settle it, the planner still decides again later, never in a hot loop.
    this.later(this.options.limits.retryMaxMs, () => {
      if (this.ledger.isRefused(effect.key)) this.ledger.forget(effect.key);
    });
    this.schedulePass();
  }

  private retryLater(effect: Effect, reason: string): void {
    if (this.stopping) return;
    const failures = (this.failures.get(effect.key) ?? 0) + 1;
    this.failures.set(effect.key, failures);
    const delay = backoffMs(failures, this.options.limits);
    this.log.warn(`${effect.key} did not go through (${clip(reason)}); planning it again in ${delay} ms`);
    // The dispatch keeps its slot meanwhile: the bead is still the one waiting longest.
    this.later(delay, () => {
      this.ledger.forget(effect.key);
      this.dispatching.delete(effect.key);
    });
  }

  /** Runs `then` after `ms`, followed by a pass; every timer is cleared by stop(). */
  private later(ms: number, then: () => void): void {
    if (this.stopping) return;
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        then();
        this.schedulePass();
      },
      Math.min(ms, MAX_TIMER_MS),
    );
    this.timers.add(timer);
  }

  /** Waits `ms`, or less when the runner stops. */
  private pause(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const elapsed = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.min(ms, MAX_TIMER_MS))));
    return Promise.race([elapsed, this.stopped]).finally(() => clearTimeout(timer));
  }
}
