import { redactCredentials, type Actor, type EventData, type EventType, type GastownEvent } from '@gastown/contracts';
import { summarize, type HistoryNames } from './history.summary';

/** One event of a convoy's history as the API shows it. */
export interface HistoryEventView {
  readonly sequence: number;
  readonly index: number;
  readonly type: string;
  readonly occurredAt: Date;
  readonly actor: Actor;
  readonly convoyId: string;
  readonly beadIds: string[];
  readonly summary: string;
  readonly data: unknown;
}

const none = () => [];
const one = (data: { beadId: string }) => [data.beadId];

/**
 * The beads each event is about, by type; a new event type does not compile until it is listed.
 * Derived events name the beads whose state they change (a hold is about the held bead, not its
 * upstream bead, whose own failure is its own event).
 */
const beadsOf: { [K in EventType]: (data: EventData<K>) => string[] } = {
  TownCreated: none,
  RigRegistered: none,
  RigCredentialsSet: none,
  RigCredentialsCleared: none,
  WebhookAdded: none,
  WebhookRemoved: none,
  ConvoyCreated: none,
  BeadCreated: one,
  ConvoyStarted: none,
  DependencyAdded: (d) => [d.beadId, d.dependsOnBeadId],
  DependencyRemoved: (d) => [d.beadId, d.dependsOnBeadId],
  BeadsBecameReady: (d) => d.beadIds,
  BeadsBecameUnready: (d) => d.beadIds,
  BeadsHeld: (d) => d.beads.map((b) => b.beadId),
  BeadsReleased: (d) => d.beadIds,
  BeadDispatched: one,
  BeadStarted: one,
  BeadSubmitted: one,
  BeadMerged: one,
  MergeBatchStarted: (d) => d.beads.map((b) => b.beadId),
  MergeBatchChecked: (d) => d.beadIds,
  MergeBatchEnded: (d) => (d.culpritBeadId ? [...d.mergedBeadIds, d.culpritBeadId] : d.mergedBeadIds),
  BeadMergeClaimed: one,
  BeadMergeAborted: one,
  BeadReworkRequested: one,
  BeadAttemptFailed: one,
  BeadAgentLost: one,
  BeadAttemptInterrupted: one,
  BeadFailed: one,
  BeadRetried: one,
  BeadCancelled: one,
  ConvoyReadyToLand: none,
  ConvoyLandingStarted: none,
  RigLandingPrepared: none,
  RigLandingClaimed: none,
  RigLandingAborted: none,
  ConvoyLandingPrepared: none,
  RigLanded: none,
  ConvoyLanded: none,
  ConvoyLandingFailed: none,
  ConvoyFailed: (d) => d.failedBeadIds,
  ConvoyReactivated: none,
  ConvoyCancelled: none,
};

export function beadIdsOf(event: GastownEvent): string[] {
  const ids = (beadsOf[event.type] as (data: unknown) => string[])(event.data);
  return [...new Set(ids)];
}

/**
 * Field names that hold secrets in any event, now or later (a webhook's signing key, a token or
 * its hash). Convoy subjects carry none of them today; the rule holds whatever is added.
 */
const SECRET_FIELD = /secret|token|password|credential|api_?key|private_?key/i;

/** The payload as a client may see it: secret fields dropped, credentials in any text masked. */
export function publicData(value: unknown): unknown {
  if (typeof value === 'string') return redactCredentials(value);
  if (Array.isArray(value)) return value.map(publicData);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => !SECRET_FIELD.test(key))
        .map(([key, inner]) => [key, publicData(inner)]),
    );
  }
  return value;
}

export function toHistoryEvent(sequence: number, index: number, event: GastownEvent, names: HistoryNames): HistoryEventView {
  return {
    sequence,
    index,
    type: event.type,
    occurredAt: new Date(event.occurredAt),
    actor: event.actor,
    convoyId: event.convoyId ?? '',
    beadIds: beadIdsOf(event),
    summary: summarize(event, names),
    data: publicData(event.data),
  };
}
