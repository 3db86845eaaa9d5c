import { EventStore, type Bus } from '@gastown/bus';
import { foldWebhooks, type WebhookConfig, type Webhooks } from './webhook.notifications';

interface Folded {
  /** The last town commit folded in. */
  readonly seq: number;
  readonly webhooks: Webhooks;
}

/**
 * Each town's webhooks, folded from its town subject and read on demand: a dispatcher that
 * restarts, or a replica that never saw a town commit, still decides on the whole history.
 */
export class TownWebhooks {
  private readonly towns = new Map<string, Folded>();
  private readonly store: EventStore;

  constructor(private readonly bus: Bus) {
    this.store = new EventStore(bus);
  }

  /** The town's webhooks as of just before stream sequence `beforeSeq`; without it, as of now. */
  async before(townId: string, beforeSeq = Number.POSITIVE_INFINITY): Promise<ReadonlyMap<string, WebhookConfig>> {
    let from = this.towns.get(townId) ?? { seq: 0, webhooks: new Map() };
    // The cache never runs ahead of a question asked in stream order; from scratch if one does.
    if (from.seq >= beforeSeq) from = { seq: 0, webhooks: new Map() };
    const webhooks: Webhooks = new Map(from.webhooks);
    let seq = from.seq;
    for (const commit of await this.store.readSubject(this.bus.names.townEvents(townId), { afterSeq: from.seq })) {
      if (commit.seq >= beforeSeq) break;
      for (const event of commit.events) foldWebhooks(webhooks, event);
      seq = commit.seq;
    }
    // Answers to concurrent questions may arrive in any order: only a newer fold replaces the cache.
    if (seq > (this.towns.get(townId)?.seq ?? -1)) this.towns.set(townId, { seq, webhooks });
    return webhooks;
  }
}
