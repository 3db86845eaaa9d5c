import { EventStore, PoisonMessageError, publishWork, runConsumer, type Bus, type BusLogger, type ConsumerStatus, type RunningConsumer, type StoredCommit } from '@gastown/bus';
import { parseEventSubject } from '@gastown/contracts';
import { convoyOutcomes, landedRigsOf, plannedDeliveries, type ConvoyHeader, type LandedRig } from './webhook.notifications';
import { TownWebhooks } from './webhook.towns';

export const WEBHOOK_NOTIFIER_DURABLE = 'webhook-notifier';

export interface WebhookNotifierOptions {
  log: BusLogger;
  durable?: string;
}

/**
 * Turns convoy outcomes into delivery jobs. A durable consumer of the event stream, in stream
 * order: a restart resumes after the last commit it acknowledged, so no outcome is announced twice,
 * and it acknowledges a commit only once its jobs are stored. A job's id is its delivery id, so a
 * commit handled again after a crash stores nothing new.
 */
export class WebhookNotifier {
  private readonly towns: TownWebhooks;
  private readonly store: EventStore;
  private consumer: RunningConsumer | null = null;

  constructor(
    private readonly bus: Bus,
    private readonly options: WebhookNotifierOptions,
  ) {
    this.towns = new TownWebhooks(bus);
    this.store = new EventStore(bus);
  }

  async start(): Promise<void> {
    if (this.consumer) return;
    this.consumer = await runConsumer(this.bus, {
      durable: this.options.durable ?? WEBHOOK_NOTIFIER_DURABLE,
      filterSubject: this.bus.names.allEvents,
      // Every later outcome waits behind a failing commit, so it keeps trying for about half an hour.
      maxDeliver: 40,
      ackWaitMs: 30_000,
      backoffMs: [500, 1_000, 5_000, 15_000, 60_000],
      wants: (subject, seq) => this.wants(subject, seq),
      handler: (commit) => this.onCommit(commit),
    });
  }

  /** The consumer's name and whether it is bound, for the dispatcher's readiness. */
  status(): { durable: string; status(): Promise<ConsumerStatus> } {
    return {
      durable: this.options.durable ?? WEBHOOK_NOTIFIER_DURABLE,
      status: () => this.consumer?.status() ?? Promise.resolve({ bound: false, reason: 'not started' }),
    };
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = null;
    await consumer?.stop();
  }

  /** Only the commits of a town that has webhooks are read: most towns' plans are never fetched here. */
  private async wants(subject: string, seq: number): Promise<boolean> {
    const scope = parseEventSubject(this.bus.names.namespace, subject);
    if (!scope?.convoyId) return false;
    return (await this.towns.before(scope.townId, seq)).size > 0;
  }

  private async onCommit(commit: StoredCommit): Promise<void> {
    const scope = parseEventSubject(this.bus.names.namespace, commit.subject);
    if (!scope?.convoyId || convoyOutcomes(commit.events).length === 0) return;
    const webhooks = await this.towns.before(scope.townId, commit.seq);
    if (webhooks.size === 0) return;
    const header = await this.headerOf(commit.subject);
    const landed = await this.landedBefore(commit, header);
    const jobs = plannedDeliveries(commit, webhooks, header, new Date().toISOString(), landed);
    for (const job of jobs) {
      await publishWork(this.bus, this.bus.names.webhookJob(job.townId), job, { msgID: job.deliveryId, span: 'publish webhook delivery' });
      this.options.log.info(`webhook delivery ${job.deliveryId} queued: ${job.event} of convoy ${job.convoyId} for webhook ${job.webhookId}`);
    }
  }

  /**
   * The rigs a failed or closed REVIEW_THEN_LAND convoy landed on, read from its commits up to this
   * one: a half-landed convoy's receivers must learn which default branches hold it. A landing
   * carries its own list, and a REVIEW_AND_MERGE convoy has no landing, so neither reads anything.
   */
  private async landedBefore(commit: StoredCommit, header: ConvoyHeader): Promise<LandedRig[]> {
    if (header.mergeMode !== 'REVIEW_THEN_LAND' || convoyOutcomes(commit.events).every((o) => o.type === 'ConvoyLanded')) return [];
    const commits = await this.store.readSubject(commit.subject);
    return landedRigsOf(commits.filter((c) => c.seq <= commit.seq).flatMap((c) => c.events));
  }

  /** Title and merge mode never change after the convoy's first commit, which creates it. */
  private async headerOf(subject: string): Promise<ConvoyHeader> {
    const first = await this.bus.jsm.direct.getMessage(this.bus.names.eventStream, { next_by_subj: subject, seq: 1 });
    if (!first) throw new Error(`the first commit of ${subject} could not be read`);
    const commit = await this.store.decodeCommit({ subject, seq: first.seq, data: first.data, time: first.time });
    const created = commit.events.find((event) => event.type === 'ConvoyCreated');
    if (created?.type !== 'ConvoyCreated') {
      throw new PoisonMessageError(subject, commit.seq, 'the first commit of the convoy does not create it');
    }
    return { title: created.data.title, mergeMode: created.data.mergeMode };
  }
}
