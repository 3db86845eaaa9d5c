import type { MsgRequest } from '@nats-io/jetstream';
import { CommandClient, publishWork, type Bus, type BusLogger } from '@gastown/bus';
import { commandIds, type CommandReply } from '@gastown/contracts';
import type { AppliedCommit, DispatchStateView } from '../dispatch/dispatch.state';
import { afterCheck, inFlight, schedule, verdict, type InFlight, type ReconcileLimits, type StartedAttempts, type Verdict, type Watch } from './reconcile.planner';

const ACTOR = { kind: 'service', id: 'dispatcher' } as const;
const COMMAND_TIMEOUT_MS = 5_000;
/** setTimeout fires at once for anything longer. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** `BeadStarted` as `<bead>:<attempt>` → convoy; a convoy's entries go when the convoy leaves the state. */
class Started implements StartedAttempts {
  private readonly convoyOf = new Map<string, string>();

  has(beadId: string, attempt: number): boolean {
    return this.convoyOf.has(`${beadId}:${attempt}`);
  }

  add(convoyId: string, beadId: string, attempt: number): void {
    this.convoyOf.set(`${beadId}:${attempt}`, convoyId);
  }

  keepOnly(convoys: ReadonlyMap<string, unknown>): void {
    for (const [key, convoyId] of this.convoyOf) if (!convoys.has(convoyId)) this.convoyOf.delete(key);
  }
}

/**
 * The adapter around the reconciliation planner: one timer for the earliest deadline of all
 * in-flight work; when it fires, the due items' jobs are looked for on the jobs stream (one scan
 * per job subject), a vanished job is published again under its own id — the stream's duplicate
 * window or the runner's attempt claim makes a second copy harmless — and an agent job that
 * keeps vanishing gets its attempt reported LOST (`commandIds.reportAgentLost`, the id a runner uses
 * for the same report), after which the dispatcher's normal rules dispatch the bead again.
 */
export class Reconciler {
  private readonly started = new Started();
  private watches = new Map<string, Watch>();
  private timer: { at: number; handle: NodeJS.Timeout } | null = null;
  private checking: Promise<void> | null = null;
  private stopping = false;
  private readonly commands: CommandClient;

  constructor(
    private readonly bus: Bus,
    private readonly state: DispatchStateView,
    private readonly limits: ReconcileLimits,
    private readonly log: BusLogger,
  ) {
    this.commands = new CommandClient(bus);
  }

  /** Every commit the dispatch state applied. */
  observe(commit: AppliedCommit): void {
    for (const event of commit.events) {
      if (event.type === 'BeadStarted' && event.convoyId !== null) {
        this.started.add(event.convoyId, event.data.beadId, event.data.attempt);
      }
    }
  }

  /** After every planning pass: watches what is in flight now and arms the timer for the next deadline. */
  update(now: number = Date.now()): void {
    if (this.stopping) return;
    this.started.keepOnly(this.state.convoys);
    const planned = schedule(inFlight(this.state, this.started), this.watches, now, this.limits);
    this.watches = planned.watches;
    if (this.checking) return;
    if (planned.due.length > 0) {
      this.disarm();
      this.checking = this.check(planned.due).finally(() => {
        this.checking = null;
        this.update();
      });
      return;
    }
    if (planned.nextAt === null) this.disarm();
    else this.arm(planned.nextAt, now);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.disarm();
    await this.checking;
  }

  private arm(at: number, now: number): void {
    if (this.timer?.at === at) return;
    this.disarm();
    const handle = setTimeout(
      () => {
        this.timer = null;
        this.update();
      },
      Math.min(Math.max(0, at - now), MAX_TIMER_MS),
    );
    this.timer = { at, handle };
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer.handle);
    this.timer = null;
  }

  private async check(due: InFlight[]): Promise<void> {
    const subjects = new Map<string, InFlight[]>();
    for (const item of due) {
      const subject = this.bus.names.job(item.job.kind, item.job.rigId);
      subjects.set(subject, [...(subjects.get(subject) ?? []), item]);
    }
    for (const [subject, items] of subjects) {
      let onStream: Set<string>;
      try {
        onStream = await this.jobsOn(subject);
      } catch (error) {
        // Nothing is known: look again one deadline later, counting nothing against the attempt.
        this.log.warn(`could not read ${subject} to reconcile ${items.length} job(s): ${describe(error)}`);
        for (const item of items) this.settle(item, { kind: 'wait' });
        continue;
      }
      // The state moved on while the stream was read: work that started or ended meanwhile is left alone.
      const current = new Set(inFlight(this.state, this.started).map((i) => i.key));
      for (const item of items) {
        const watch = this.watches.get(item.key);
        if (this.stopping || !watch || !current.has(item.key)) continue;
        const outcome = verdict(item, watch, onStream.has(item.key), this.limits);
        const done = outcome.kind === 'republish' ? await this.republish(item) : outcome.kind === 'lost' ? await this.reportLost(item, outcome.reason) : true;
        this.settle(item, done ? outcome : { kind: 'wait' });
      }
    }
  }

  private settle(item: InFlight, outcome: Verdict): void {
    const watch = this.watches.get(item.key);
    if (watch) this.watches.set(item.key, afterCheck(watch, outcome, Date.now(), this.limits));
  }

  /**
   * The ids of the jobs on one subject of the work-queue stream: queued, or delivered and not yet
   * acknowledged (a runner has them). A subject holds at most the rig's polecats' agent jobs, or
   * its beads waiting for the refinery, so the scan is short.
   */
  private async jobsOn(subject: string): Promise<Set<string>> {
    const ids = new Set<string>();
    for (let seq = 1; ; ) {
      // STREAM.MSG.GET takes next_by_subj since nats-server 2.9; the client types it for direct gets only.
      const next = { seq, next_by_subj: subject } as unknown as MsgRequest;
      const m = await this.bus.jsm.streams.getMessage(this.bus.names.jobStream, next);
      if (!m) return ids;
      const id = m.header?.get('Nats-Msg-Id');
      if (id) ids.add(id);
      seq = m.seq + 1;
    }
  }

  private async republish(item: InFlight): Promise<boolean> {
    const { job } = item;
    try {
      const ack = await publishWork(this.bus, this.bus.names.job(job.kind, job.rigId), job, { msgID: item.key, span: `republish ${job.kind} job` });
      this.log.warn(
        ack.duplicate
          ? `job ${item.key} was taken from the stream without its work starting or ending; the server still knew it, so it was not stored again`
          : `job ${item.key} was not on the jobs stream and its work had not started or ended: published again`,
      );
      return true;
    } catch (error) {
      this.log.warn(`could not publish job ${item.key} again: ${describe(error)}`);
      return false;
    }
  }

  /** True once the convoy service has decided (LOST, or refused because the attempt moved on). */
  private async reportLost(item: InFlight, reason: string): Promise<boolean> {
    const { job } = item;
    if (job.kind !== 'agent' || item.agentId === null) return true;
    let reply: CommandReply;
    try {
      reply = await this.commands.request<CommandReply>(
        this.bus.names.commands.convoy,
        {
          type: 'ReportAgentLost',
          commandId: commandIds.reportAgentLost(job.beadId, job.attempt),
          townId: job.townId,
          convoyId: job.convoyId,
          actor: ACTOR,
          correlationId: job.convoyId,
          data: { beadId: job.beadId, attempt: job.attempt, agentId: item.agentId, reason },
        },
        { timeoutMs: COMMAND_TIMEOUT_MS },
      );
    } catch (error) {
      this.log.warn(`could not report attempt ${job.attempt} of bead ${job.beadId} lost: ${describe(error)}`);
      return false;
    }
    if (reply.ok) {
      this.log.warn(`attempt ${job.attempt} of bead ${job.beadId} reported LOST: ${reason}`);
      return true;
    }
    const { code, message } = reply.error;
    if (code === 'UNAVAILABLE' || code === 'INTERNAL') {
      this.log.warn(`could not report attempt ${job.attempt} of bead ${job.beadId} lost (${code}): ${message}`);
      return false;
    }
    this.log.info(`attempt ${job.attempt} of bead ${job.beadId} was not reported lost (${code}): ${message}`);
    return true;
  }
}
