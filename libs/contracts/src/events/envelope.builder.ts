import type { Actor } from '../domain/convoy.types';
import { nameUuid } from '../domain/id.generation';
import { latestSchemaVersion, type GastownEvent, type NewEvent } from './event.catalogue';

/** What an event inherits from the command that decided it. */
export interface EnvelopeSource {
  readonly townId: string;
  /** Null for town-level events. */
  readonly convoyId: string | null;
  readonly commandId: string;
  readonly causationId?: string | null;
  /** A command that names no correlation starts its own, under its command id. */
  readonly correlationId?: string;
  readonly actor: Actor;
}

/**
 * The id of the event at `position` among those one command appended to `subject`: derived, never
 * random, so a decision stored again (a retry that raced the first write) carries the same ids.
 * Ids of events already stored follow this derivation: it must never change.
 */
export function storedEventId(subject: string, source: Pick<EnvelopeSource, 'townId' | 'commandId'>, position: number): string {
  return nameUuid(source.townId, `${subject}|${source.commandId}|${position}`);
}

/** The events of one decision as they are appended to `subject`. */
export function storedEnvelopes(events: readonly NewEvent[], source: EnvelopeSource, stored: { subject: string; occurredAt: string }): GastownEvent[] {
  return events.map((event, position) => envelope(event, source, storedEventId(stored.subject, source, position), stored.occurredAt));
}

/** No stored event has this id: it marks an event folded before it is stored. */
export const UNSTORED_EVENT_ID = '00000000-0000-0000-0000-000000000000';

/**
 * The events of a decision as a decider folds them to judge the state they make, before they are
 * stored: the same envelope, but no id yet, since only the store knows the subject it goes to.
 */
export function unstoredEnvelopes(events: readonly NewEvent[], source: EnvelopeSource, occurredAt: string): GastownEvent[] {
  return events.map((event) => envelope(event, source, UNSTORED_EVENT_ID, occurredAt));
}

function envelope(event: NewEvent, source: EnvelopeSource, eventId: string, occurredAt: string): GastownEvent {
  // The field order is the order stored events have always been written in.
  return {
    eventId,
    type: event.type,
    schemaVersion: latestSchemaVersion(event.type),
    townId: source.townId,
    convoyId: source.convoyId,
    commandId: source.commandId,
    causationId: source.causationId ?? null,
    correlationId: source.correlationId ?? source.commandId,
    actor: source.actor,
    occurredAt,
    data: event.data,
  } as GastownEvent;
}
