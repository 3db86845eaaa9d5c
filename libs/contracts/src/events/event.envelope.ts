import { z } from 'zod';
import { Actor } from '../domain/convoy.types';

/** The metadata every event carries, whatever its type. */
export const EventMeta = z.object({
  eventId: z.uuid(),
  schemaVersion: z.number().int().positive(),
  townId: z.uuid(),
  /** Null for town-level events (town created, rig registered). */
  convoyId: z.uuid().nullable(),
  commandId: z.string().min(1).max(200),
  causationId: z.string().max(200).nullable(),
  correlationId: z.string().min(1).max(200),
  actor: Actor,
  occurredAt: z.iso.datetime(),
});
export type EventMeta = z.infer<typeof EventMeta>;

/** The raw shape before the type-specific payload is checked (used by the upcaster path). */
export const RawEvent = EventMeta.extend({ type: z.string().min(1), data: z.unknown() });
export type RawEvent = z.infer<typeof RawEvent>;
