import type { EventOf, EventType, GastownEvent } from '@gastown/contracts';
import type { EntityManager } from 'typeorm';

/** What projects a run of events of one type inside the commit's transaction. */
export type RunHandler<K extends EventType> = (tx: EntityManager, events: readonly EventOf<K>[]) => Promise<void>;

/** Consecutive events of one type, so that bulk handlers see a whole plan (or a whole cancellation) at once. */
export function runsOf(events: readonly GastownEvent[]): { type: EventType; events: GastownEvent[] }[] {
  const runs: { type: EventType; events: GastownEvent[] }[] = [];
  for (const event of events) {
    const last = runs[runs.length - 1];
    if (last && last.type === event.type) last.events.push(event);
    else runs.push({ type: event.type, events: [event] });
  }
  return runs;
}

/** A handler for events that gain nothing from being applied together. */
export function each<K extends EventType>(apply: (tx: EntityManager, event: EventOf<K>) => Promise<void>): RunHandler<K> {
  return async (tx, events) => {
    for (const event of events) await apply(tx, event);
  };
}
