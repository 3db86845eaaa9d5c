import {
  nameUuid,
  WEBHOOK_EVENT_NAMES,
  type ConvoyStatus,
  type GastownEvent,
  type MergeMode,
  type StoredSecret,
  type WebhookDeliveryJob,
  type WebhookEventType,
} from '@gastown/contracts';

/** What the dispatcher knows of a webhook, from its town's events: enough to sign (once its key is opened) and send. */
export interface WebhookConfig {
  readonly webhookId: string;
  readonly url: string;
  readonly events: readonly WebhookEventType[];
  /** Sealed; opened only at the moment of signing, so no clear copy is cached. */
  readonly secret: StoredSecret;
}

/** The town's webhooks by id. */
export type Webhooks = Map<string, WebhookConfig>;

/** Folds one town event into the webhooks, in place; every other event leaves them as they are. */
export function foldWebhooks(webhooks: Webhooks, event: GastownEvent): Webhooks {
  if (event.type === 'WebhookAdded') webhooks.set(event.data.webhookId, { ...event.data });
  if (event.type === 'WebhookRemoved') webhooks.delete(event.data.webhookId);
  return webhooks;
}

type Outcome = Extract<GastownEvent, { type: 'ConvoyLanded' | 'ConvoyFailed' | 'ConvoyCancelled' }>;

const OUTCOMES: Readonly<Record<Outcome['type'], { event: WebhookEventType; status: ConvoyStatus }>> = {
  ConvoyLanded: { event: 'CONVOY_LANDED', status: 'LANDED' },
  ConvoyFailed: { event: 'CONVOY_FAILED', status: 'FAILED' },
  ConvoyCancelled: { event: 'CONVOY_CANCELLED', status: 'CANCELLED' },
};

/** The events of a commit that end a convoy (for now: a failed convoy can still be retried). */
export function convoyOutcomes(events: readonly GastownEvent[]): Outcome[] {
  return events.filter((event): event is Outcome => Object.hasOwn(OUTCOMES, event.type));
}

/** What a payload says about the convoy beyond the outcome event, from the convoy's creation. */
export interface ConvoyHeader {
  readonly title: string;
  readonly mergeMode: MergeMode;
}

/** A rig's landing as a payload lists it: the commit on the rig's default branch. */
export interface LandedRig {
  readonly rigId: string;
  readonly commit: string;
}

/**
 * The rigs a convoy has landed on, in landing order, from its events (RigLanded). Landings are
 * never reset, so a convoy that failed or was closed half-landed still names the rigs it landed on.
 */
export function landedRigsOf(events: readonly GastownEvent[]): LandedRig[] {
  const landed = new Map<string, string>();
  for (const event of events) {
    if (event.type === 'RigLanded' && !landed.has(event.data.rigId)) landed.set(event.data.rigId, event.data.commit);
  }
  return [...landed].map(([rigId, commit]) => ({ rigId, commit }));
}

/** One id per webhook and outcome event, whoever computes it and however often. */
export function deliveryIdOf(webhookId: string, eventId: string): string {
  return nameUuid(webhookId, `delivery:${eventId}`);
}

/**
 * The deliveries a convoy commit calls for: one per outcome event and webhook subscribed to it.
 * `webhooks` must be the town's webhooks as of just before the commit, so that one added before
 * the outcome is told and one removed before it is not. `landed` are the rigs the convoy landed on
 * up to this commit (landedRigsOf): a failure or a close lists them, a landing lists its own.
 */
export function plannedDeliveries(
  commit: { readonly seq: number; readonly events: readonly GastownEvent[] },
  webhooks: ReadonlyMap<string, WebhookConfig>,
  header: ConvoyHeader,
  enqueuedAt: string,
  landed: readonly LandedRig[] = [],
): WebhookDeliveryJob[] {
  const jobs: WebhookDeliveryJob[] = [];
  for (const outcome of convoyOutcomes(commit.events)) {
    const { event, status } = OUTCOMES[outcome.type];
    const convoyId = outcome.convoyId as string;
    for (const webhook of webhooks.values()) {
      if (!webhook.events.includes(event)) continue;
      const deliveryId = deliveryIdOf(webhook.webhookId, outcome.eventId);
      jobs.push({
        deliveryId,
        townId: outcome.townId,
        webhookId: webhook.webhookId,
        convoyId,
        event,
        enqueuedAt,
        payload: {
          id: deliveryId,
          event: WEBHOOK_EVENT_NAMES[event],
          townId: outcome.townId,
          convoy: {
            id: convoyId,
            title: header.title,
            status,
            mergeMode: header.mergeMode,
            landings: (outcome.type === 'ConvoyLanded' ? outcome.data.landings : landed).map(({ rigId, commit }) => ({ rigId, commit })),
            failureReason: outcome.type === 'ConvoyFailed' ? outcome.data.reason : null,
            cancelReason: outcome.type === 'ConvoyCancelled' ? outcome.data.reason : null,
          },
          sequence: commit.seq,
          occurredAt: outcome.occurredAt,
        },
      });
    }
  }
  return jobs;
}
