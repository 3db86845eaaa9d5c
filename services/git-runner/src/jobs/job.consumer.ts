import { Logger } from '@nestjs/common';
import { AckPolicy, DeliverPolicy, JetStreamApiError, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import {
  cachedStatus,
  contextOfHeaders,
  counter,
  DeadLetter,
  durableStatus,
  exportConsumerLag,
  histogram,
  inSpan,
  secondsSince,
  SpanKind,
  withLogFields,
  type Bus,
  type ConsumerStatus,
} from '@gastown/bus';
import { Job, redactCredentials, type JobKind, type JobOf } from '@gastown/contracts';
import { PoisonJobError, RetryJobSoon } from './job.errors';

export interface JobContext {
  /** The job message's stream sequence: a redelivery has the same one, a republished job another. */
  readonly streamSeq: number;
}

export type JobHandler<K extends JobKind> = (job: JobOf<K>, context: JobContext) => Promise<void>;

/**
 * Tells the convoy that a job will not succeed (its last delivery failed, or it can never succeed),
 * before the job is parked: the dead-letter stream is the operator's copy, the convoy the town's.
 */
export type JobGiveUp<K extends JobKind> = (job: JobOf<K>, reason: string) => Promise<void>;

export interface JobRetry {
  /** Deliveries of a failing job, the first included; the last one's failure gives the job up. */
  maxDeliveries: number;
  /** The longest pause between two deliveries (the pauses grow up to it). */
  maxDelayMs: number;
}

export interface JobConsumerOptions<K extends JobKind> {
  kind: K;
  /** Jobs of this kind this replica runs at once; a slot pulls only while it is free. */
  concurrency: number;
  /** A job whose runner stops heartbeating for this long goes to another replica. */
  ackWaitMs: number;
  handler: JobHandler<K>;
  giveUp?: JobGiveUp<K>;
  retry?: JobRetry;
}

export interface RunningJobConsumer {
  /** The durable consumer's name, e.g. git-runner-agent. */
  readonly durable: string;
  /** Stops pulling at once; resolves when the jobs in hand are settled. */
  stop(): Promise<void>;
  /** Stops pulling at once: a draining runner claims nothing new, and finishes what it has. */
  stopPulling(): void;
  /** Resolves when every job in hand is settled, after stopPulling. */
  settled(): Promise<void>;
  /**
   * Gives every job still in hand back to the stream at once (nak, no delay), for another replica
   * to redo; what its handler does afterwards no longer settles it. Returns how many.
   */
  handBack(): number;
  /** Whether the consumer is bound and pulling, and its lag (for readiness and metrics). */
  status(): Promise<ConsumerStatus>;
}

export const DEFAULT_JOB_RETRY: JobRetry = { maxDeliveries: 10, maxDelayMs: 30_000 };
/** Pause before delivery n+1 after delivery n failed, capped by the retry's maxDelayMs; the last value repeats. */
const BACKOFF_MS = [1_000, 2_000, 5_000, 10_000, 30_000];
/** Reporting a given-up job to the convoy: tries, and the pause after each failed one. */
const GIVE_UP_TRIES_MS = [500, 2_000, 0];
/** How long one pull waits at the server for a job; an idle slot pulls again right after. */
const PULL_EXPIRES_MS = 5_000;
const RESTART_DELAY_MS = 1_000;
const REASON_MAX_CHARS = 1_000;
/** Every replica's slots share the queue; the server's default (1000) is kept explicit. */
const MAX_ACK_PENDING = 1_000;

export function consumerName(kind: JobKind): string {
  return `git-runner-${kind}`;
}

function describe(job: Job): string {
  const scope = `convoy ${job.convoyId.slice(0, 8)} rig ${job.rigId.slice(0, 8)}`;
  switch (job.kind) {
    case 'agent':
    case 'merge':
      return `${job.kind} job for bead ${job.beadId.slice(0, 8)} attempt ${job.attempt} (${scope})`;
    case 'land':
      return `land job attempt ${job.attempt} (${scope})`;
    case 'branch':
      return `branch job ${job.branch} (${scope})`;
  }
}

function clip(text: string): string {
  return text.length > REASON_MAX_CHARS ? `${text.slice(0, REASON_MAX_CHARS)}…` : text;
}

const decoder = new TextDecoder();
const jobDuration = histogram('gastown_git_job_duration_seconds');
const settledJobs = counter('gastown_consumer_messages_total');
const redeliveries = counter('gastown_consumer_redeliveries_total');

/** The ids a job names, for every log line written while it runs. */
function fieldsOf(job: Job): { townId: string; convoyId: string; rigId: string; beadId?: string } {
  return { townId: job.townId, convoyId: job.convoyId, rigId: job.rigId, ...('beadId' in job ? { beadId: job.beadId } : {}) };
}

/** The job in a message, or a poison error that names what is wrong without quoting the body. */
function parseJob<K extends JobKind>(m: JsMsg, kind: K): JobOf<K> {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(m.data));
  } catch {
    throw new PoisonJobError('the job is not valid JSON');
  }
  const parsed = Job.safeParse(json);
  if (!parsed.success) {
    throw new PoisonJobError(`not a job: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  if (parsed.data.kind !== kind) throw new PoisonJobError(`a ${parsed.data.kind} job on the ${kind} subject ${m.subject}`);
  return parsed.data as JobOf<K>;
}

async function ensureConsumer(bus: Bus, kind: JobKind, ackWaitMs: number, maxDeliver: number): Promise<void> {
  const durable = consumerName(kind);
  // No server back-off: on 2.9 it would replace the ack wait, and the ack wait is what tells a
  // dead runner's job from a live one. Failures are paced by nak(delay) instead.
  const updatable = { filter_subject: bus.names.jobs(kind), max_deliver: maxDeliver, ack_wait: ackWaitMs * 1_000_000, max_ack_pending: MAX_ACK_PENDING };
  try {
    await bus.jsm.consumers.add(bus.names.jobStream, {
      ...updatable,
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
    });
  } catch (error) {
    // A replica with another ack wait created it first: the newest configuration wins.
    if (!(error instanceof JetStreamApiError)) throw error;
    await bus.jsm.consumers.update(bus.names.jobStream, durable, updatable).catch(() => {
      throw error;
    });
  }
}

/**
 * One durable pull consumer per job kind, shared by every replica. Each slot pulls one job, runs
 * it with a heartbeat (`working()` every third of the ack wait) and settles it: ack when done, nak
 * with back-off when it failed, dead letter and term when it can never succeed or ran out of
 * deliveries. Handlers check that the job still applies, so a redelivered one is harmless.
 */
export async function startJobConsumer<K extends JobKind>(bus: Bus, options: JobConsumerOptions<K>): Promise<RunningJobConsumer> {
  const { kind, concurrency, ackWaitMs, handler, giveUp } = options;
  const { maxDeliveries, maxDelayMs } = options.retry ?? DEFAULT_JOB_RETRY;
  const backoffMs = (deliveryCount: number) => Math.min(BACKOFF_MS[Math.min(deliveryCount, BACKOFF_MS.length) - 1], maxDelayMs);
  const durable = consumerName(kind);
  const logger = new Logger(durable);
  await ensureConsumer(bus, kind, ackWaitMs, maxDeliveries);
  const consumer = await bus.js.consumers.get(bus.names.jobStream, durable);
  const pulls = new Set<ConsumerMessages>();
  /** Jobs being settled; those handed back are settled no more by this replica. */
  const inHand = new Map<JsMsg, { handedBack: boolean }>();
  let stopping = false;

  const park = async (m: JsMsg, reason: string) => {
    const letter: DeadLetter = {
      consumer: durable,
      stream: bus.names.jobStream,
      streamSeq: m.seq,
      subject: m.subject,
      reason: clip(reason),
      deliveryCount: m.info.deliveryCount,
      parkedAt: new Date().toISOString(),
    };
    try {
      // The id makes a second parking of the same message (a term that got lost) a no-op.
      await bus.js.publish(bus.names.dlq(durable), JSON.stringify(letter), { msgID: `${letter.stream}:${durable}:${m.seq}` });
    } catch (error) {
      logger.error(`could not park ${letter.stream}#${m.seq}: ${(error as Error).message}; it comes back`);
      m.nak(maxDelayMs);
      return;
    }
    m.term();
    logger.warn(`parked ${letter.stream}#${m.seq} (${m.subject}) after ${letter.deliveryCount} deliveries: ${letter.reason}`);
  };

  /**
   * The convoy hears of the job's end first; a report that cannot be sent leaves the job to come
   * back while deliveries remain. On the last one it is parked all the same: the bead is then the
   * reconciliation's to find (a dispatched attempt that never reports).
   */
  const giveUpAndPark = async (m: JsMsg, job: JobOf<K> | undefined, reason: string) => {
    const told = job && giveUp ? await tell(job, reason) : true;
    if (!told && m.info.deliveryCount < maxDeliveries) {
      m.nak(backoffMs(m.info.deliveryCount));
      return;
    }
    await park(m, told ? reason : `${reason} (the convoy could not be told)`);
  };

  const tell = async (job: JobOf<K>, reason: string): Promise<boolean> => {
    for (const pauseMs of GIVE_UP_TRIES_MS) {
      try {
        await giveUp?.(job, reason);
        return true;
      } catch (error) {
        logger.warn(`could not report the end of ${describe(job)}: ${clip((error as Error).message)}`);
        if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    }
    return false;
  };

  /**
   * Settles one job inside a span that continues the trace it was published in (the dispatcher's
   * decision), with its town, convoy, rig and bead on every log line, and times it by outcome.
   */
  const settleTraced = async (m: JsMsg) => {
    const started = performance.now();
    if (m.info.deliveryCount > 1) redeliveries.inc({ consumer: durable });
    let peeked: Job | undefined;
    try {
      peeked = parseJob(m, kind);
    } catch {
      // settle() parks it, with the reason.
    }
    const outcome = await withLogFields(peeked ? fieldsOf(peeked) : {}, () =>
      inSpan(
        `git-runner ${kind} job`,
        { kind: SpanKind.CONSUMER, parent: contextOfHeaders(m.headers), attributes: { 'messaging.system': 'nats', 'messaging.destination.name': m.subject, 'messaging.consumer.group.name': durable } },
        () => settle(m),
      ),
    );
    jobDuration.observe({ kind, outcome }, secondsSince(started));
    settledJobs.inc({ consumer: durable, outcome: outcome === 'ok' ? 'acked' : outcome === 'retry' ? 'retried' : 'parked' });
  };

  /** ok: done and acknowledged; retry: it comes back; failed: given up (parked) or handed back. */
  const settle = async (m: JsMsg): Promise<'ok' | 'retry' | 'failed'> => {
    const deliveryCount = m.info.deliveryCount;
    const state = { handedBack: false };
    inHand.set(m, state);
    const heartbeat = setInterval(() => {
      try {
        m.working();
      } catch (error) {
        logger.warn(`could not extend the ack wait of ${m.subject}#${m.seq}: ${(error as Error).message}`);
      }
    }, Math.max(1, Math.floor(ackWaitMs / 3)));
    let what = `${m.subject}#${m.seq}`;
    let job: JobOf<K> | undefined;
    try {
      job = parseJob(m, kind);
      what = describe(job);
      await handler(job, { streamSeq: m.seq });
    } catch (error) {
      if (state.handedBack) return 'retry';
      // Git and the convoy may quote a remote URL with its credentials in an error.
      if (error instanceof PoisonJobError) {
        await giveUpAndPark(m, job, redactCredentials(error.reason));
        return 'failed';
      }
      const reason = redactCredentials((error as Error).message);
      if (deliveryCount >= maxDeliveries) {
        await giveUpAndPark(m, job, `gave up after ${deliveryCount} deliveries: ${reason}`);
        return 'failed';
      }
      const delay = error instanceof RetryJobSoon ? error.delayMs : backoffMs(deliveryCount);
      logger.warn(`${what} (delivery ${deliveryCount} of ${maxDeliveries}) failed, again in ${delay} ms: ${clip(reason)}`);
      m.nak(delay);
      return 'retry';
    } finally {
      clearInterval(heartbeat);
      inHand.delete(m);
    }
    if (state.handedBack) return 'retry';
    if (!(await m.ackAck().catch(() => false))) logger.warn(`could not confirm the ack of ${what}; a redelivery will find it done`);
    return 'ok';
  };

  const slot = async () => {
    while (!stopping && !bus.nc.isClosed()) {
      try {
        const pull = await consumer.fetch({ max_messages: 1, expires: PULL_EXPIRES_MS });
        pulls.add(pull);
        try {
          for await (const m of pull) {
            // Handed over as the pull was cancelled: give it back now rather than after the ack wait.
            if (stopping) m.nak();
            else await settleTraced(m);
            // A pull of one is done with its message. Left open, its idle-heartbeat watch runs on
            // through a long job and ends the pull as "heartbeats missed", costing the slot a restart.
            break;
          }
        } finally {
          pulls.delete(pull);
        }
      } catch (error) {
        if (stopping || bus.nc.isClosed()) break;
        logger.error(`pulling stopped (${(error as Error).message}); again in ${RESTART_DELAY_MS} ms`);
        await new Promise((resolve) => setTimeout(resolve, RESTART_DELAY_MS));
      }
    }
  };

  const slots = Array.from({ length: concurrency }, () => slot());
  const status = cachedStatus<ConsumerStatus>(async () => (stopping ? { bound: false, reason: 'draining: no new jobs are taken' } : durableStatus(bus, bus.names.jobStream, durable)));
  const stopExporting = exportConsumerLag(durable, status);
  const stopPulling = () => {
    stopping = true;
    stopExporting();
    for (const pull of pulls) pull.close().catch(() => undefined);
  };
  const settled = async () => {
    await Promise.all(slots);
  };
  return {
    durable,
    status,
    stop: async () => {
      stopPulling();
      await settled();
    },
    stopPulling,
    settled,
    handBack: () => {
      let count = 0;
      for (const [m, state] of inHand) {
        if (state.handedBack) continue;
        state.handedBack = true;
        m.nak();
        count++;
      }
      return count;
    },
  };
}
