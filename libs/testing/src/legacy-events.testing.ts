import { randomUUID } from 'node:crypto';
import type { GastownEvent } from '@gastown/contracts';

/** One event as an older convoy service decided it: its data need not pass today's rules. */
export interface LegacyEvent {
  readonly type: GastownEvent['type'];
  readonly data: Record<string, unknown>;
}

/** A commit to append as it is, with the command id as its commit id. */
export interface LegacyCommit {
  readonly commandId: string;
  readonly events: GastownEvent[];
}

/**
 * Events of one convoy in the schema-1 envelope an older convoy service wrote, from a command of
 * "an old gateway": for tests that append them straight to the stream (EventStore.append with
 * `expectedSeq: 0`), to show what today's readers and runners do with data stored before a rule
 * existed (a NUL or a forged trailer in a title). Nothing here checks the data: that is the point.
 */
export function legacyConvoyCommit(townId: string, convoyId: string, events: readonly LegacyEvent[]): LegacyCommit {
  const commandId = randomUUID();
  const envelope = {
    schemaVersion: 1,
    townId,
    convoyId,
    commandId,
    causationId: null,
    correlationId: commandId,
    actor: { kind: 'user', id: 'an old gateway' },
    occurredAt: new Date().toISOString(),
  };
  return { commandId, events: events.map((event) => ({ ...envelope, eventId: randomUUID(), ...event }) as GastownEvent) };
}
