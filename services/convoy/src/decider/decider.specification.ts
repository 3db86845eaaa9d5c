import { randomUUID } from 'node:crypto';
import {
  eventSchemas,
  latestSchemaVersion,
  type EventMeta,
  type GastownEvent,
  type NewEvent,
} from '@gastown/contracts';
import type { z } from 'zod';
import type { Decision } from './decider.decision';
import { DomainError, type DomainErrorCode } from './decider.error';

/** The envelope fields a command carries that events inherit. */
export interface CommandLike {
  commandId: string;
  townId: string;
  convoyId?: string;
}

export interface DeciderUnderTest<C extends CommandLike, S> {
  decide(command: C, state: S): Decision;
  evolve(state: S, event: GastownEvent): S;
  initialState(): S;
}

/** A past event as a test states it: the payload, plus whichever envelope fields matter to it. */
export type GivenEvent = NewEvent & Partial<EventMeta>;

const OCCURRED_AT = '2025-01-01T00:00:00.000Z';

/**
 * Wraps events in the envelope the adapter would add. Town and convoy ids come from the
 * command the events belong to; each event keeps any envelope field it already states.
 */
export function envelope(
  events: readonly GivenEvent[],
  owner: CommandLike,
  commandIdOf: (position: number) => string = () => owner.commandId,
): GastownEvent[] {
  return events.map((event, position) => {
    const commandId = event.commandId ?? commandIdOf(position);
    return {
      eventId: randomUUID(),
      schemaVersion: latestSchemaVersion(event.type),
      townId: owner.townId,
      convoyId: owner.convoyId ?? null,
      commandId,
      causationId: null,
      correlationId: commandId,
      actor: { kind: 'user', id: 'spec' },
      occurredAt: OCCURRED_AT,
      ...event,
    } as GastownEvent;
  });
}

/** Fails the test when a decided event would be refused by its own contract. */
export function expectValidEvents(events: readonly NewEvent[]): void {
  const problems = events.flatMap((event, position) => {
    const versions = eventSchemas[event.type] as Record<number, z.ZodType>;
    const parsed = versions[latestSchemaVersion(event.type)].safeParse(event.data);
    return parsed.success
      ? []
      : parsed.error.issues.map((i) => `#${position} ${event.type}.${i.path.join('.')}: ${i.message}`);
  });
  expect(problems).toEqual([]);
}

class Expectations<C extends CommandLike, S> {
  constructor(
    private readonly decider: DeciderUnderTest<C, S>,
    private readonly history: readonly GivenEvent[],
    private readonly command: C,
  ) {}

  /** The events must be exactly these, in this order; returns the decision for further checks. */
  then(expected: readonly NewEvent[]): Decision {
    const { decision, state } = this.run();
    expect(decision.events).toEqual(expected);
    expectValidEvents(decision.events);
    // Folding the answer proves the decider can read back what it wrote.
    envelope(decision.events, this.command).reduce((s, e) => this.decider.evolve(s, e), state);
    return decision;
  }

  /** The command is accepted and writes nothing. */
  thenNothing(): Decision {
    const { decision } = this.run();
    expect(decision.events).toEqual([]);
    return decision;
  }

  /** The command is refused with this code; a string message must match exactly. */
  thenThrows(code: DomainErrorCode, message: string | RegExp): DomainError {
    let thrown: unknown;
    try {
      this.run();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DomainError);
    const error = thrown as DomainError;
    expect({ code: error.code, message: error.message }).toEqual({
      code,
      message: typeof message === 'string' ? message : expect.stringMatching(message),
    });
    return error;
  }

  private run(): { decision: Decision; state: S } {
    const state = envelope(this.history, this.command, (position) => `given-${position}`).reduce(
      (s, e) => this.decider.evolve(s, e),
      this.decider.initialState(),
    );
    return { decision: this.decider.decide(this.command, state), state };
  }
}

/**
 * Given/when/then for deciders, after emmett's DeciderSpecification: past events are folded
 * into a fresh state, the command is decided against it and the outcome compared.
 */
export const DeciderSpecification = {
  for<C extends CommandLike, S>(decider: DeciderUnderTest<C, S>) {
    return {
      given: (events: readonly GivenEvent[]) => ({
        when: (command: C) => new Expectations(decider, events, command),
      }),
    };
  },
};
