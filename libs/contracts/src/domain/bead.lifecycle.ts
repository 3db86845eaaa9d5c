import type { EventType, NewEvent } from '../events/event.catalogue';
import type { BeadStatus, ConvoyStatus } from './convoy.types';

/**
 * The status each bead event leaves its bead in. The decider judges whether an event may happen;
 * once it has, the convoy's state, the execution services' view and the read models all take the
 * status from here, so the three folds cannot tell a bead's life differently.
 */
const BEAD_STATUS_AFTER = {
  BeadCreated: 'OPEN',
  BeadDispatched: 'IN_PROGRESS',
  // Only an attempt in progress can start, so this restates the status rather than changing it.
  BeadStarted: 'IN_PROGRESS',
  BeadSubmitted: 'IN_REVIEW',
  BeadMerged: 'CLOSED',
  // Only a closed convoy aborts a merge: the bead ends as the close would have left it.
  BeadMergeAborted: 'CANCELLED',
  BeadReworkRequested: 'OPEN',
  BeadAttemptFailed: 'OPEN',
  BeadAgentLost: 'OPEN',
  BeadAttemptInterrupted: 'OPEN',
  BeadFailed: 'FAILED',
  BeadRetried: 'OPEN',
  BeadCancelled: 'CANCELLED',
} as const satisfies Partial<Record<EventType, BeadStatus>>;

export type BeadLifecycleEventType = keyof typeof BEAD_STATUS_AFTER;

export type ConvoyLifecycleEventType =
  | 'ConvoyCreated'
  | 'ConvoyStarted'
  | 'ConvoyReadyToLand'
  | 'ConvoyLandingStarted'
  | 'ConvoyLanded'
  | 'ConvoyLandingFailed'
  | 'ConvoyFailed'
  | 'ConvoyReactivated'
  | 'ConvoyCancelled';

type EventNamed<K extends EventType> = Extract<NewEvent, { type: K }>;

/** The status each convoy event leaves its convoy in; two of them carry it in their data. */
const CONVOY_STATUS_AFTER: { [K in ConvoyLifecycleEventType]: (event: EventNamed<K>) => ConvoyStatus } = {
  ConvoyCreated: (e) => (e.data.staged ? 'STAGED' : 'ACTIVE'),
  ConvoyStarted: () => 'ACTIVE',
  ConvoyReadyToLand: () => 'READY_TO_LAND',
  ConvoyLandingStarted: () => 'LANDING',
  ConvoyLanded: () => 'LANDED',
  // The failed attempt is over; the next one starts from READY_TO_LAND (ConvoyFailed follows the last).
  ConvoyLandingFailed: () => 'READY_TO_LAND',
  ConvoyFailed: () => 'FAILED',
  ConvoyReactivated: (e) => e.data.status,
  ConvoyCancelled: () => 'CANCELLED',
};

const isBeadLifecycleEvent = (event: Pick<NewEvent, 'type'>): event is { type: BeadLifecycleEventType } =>
  Object.hasOwn(BEAD_STATUS_AFTER, event.type);

const isConvoyLifecycleEvent = (event: NewEvent): event is EventNamed<ConvoyLifecycleEventType> =>
  Object.hasOwn(CONVOY_STATUS_AFTER, event.type);

/** The status a bead event leaves its bead in; null for an event that leaves every bead's status alone. */
export function beadStatusAfter(event: { type: BeadLifecycleEventType }): BeadStatus;
export function beadStatusAfter(event: Pick<NewEvent, 'type'>): BeadStatus | null;
export function beadStatusAfter(event: Pick<NewEvent, 'type'>): BeadStatus | null {
  return isBeadLifecycleEvent(event) ? BEAD_STATUS_AFTER[event.type] : null;
}

/** The status a convoy event leaves its convoy in; null for an event that leaves it alone. */
export function convoyStatusAfter(event: EventNamed<ConvoyLifecycleEventType>): ConvoyStatus;
export function convoyStatusAfter(event: NewEvent): ConvoyStatus | null;
export function convoyStatusAfter(event: NewEvent): ConvoyStatus | null {
  if (!isConvoyLifecycleEvent(event)) return null;
  const after = CONVOY_STATUS_AFTER[event.type] as (event: EventNamed<ConvoyLifecycleEventType>) => ConvoyStatus;
  return after(event);
}
