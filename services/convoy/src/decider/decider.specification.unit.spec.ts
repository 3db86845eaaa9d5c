import type { GastownEvent, NewEvent } from '@gastown/contracts';
import type { Decision } from './decider.decision';
import { DomainError } from './decider.error';
import { DeciderSpecification } from './decider.specification';

const TOWN_ID = '0b7a6c1e-3f2d-4e5a-9b8c-1d2e3f4a5b6c';
const CONVOY_ID = 'c0ffee00-1234-4abc-8def-0123456789ab';

interface ToyCommand {
  commandId: string;
  townId: string;
  convoyId: string;
  answer: NewEvent[] | DomainError;
}

/** Answers whatever the command says and remembers the history it was given. */
function toy() {
  const seen: GastownEvent[][] = [];
  const spec = DeciderSpecification.for({
    initialState: (): GastownEvent[] => [],
    evolve: (state: GastownEvent[], event: GastownEvent) => [...state, event],
    decide: (command: ToyCommand, state: GastownEvent[]): Decision => {
      seen.push(state);
      if (command.answer instanceof DomainError) throw command.answer;
      return { events: command.answer, result: {}, duplicate: false };
    },
  });
  return { spec, seen };
}

const answering = (answer: ToyCommand['answer']): ToyCommand => ({ commandId: 'cmd-1', townId: TOWN_ID, convoyId: CONVOY_ID, answer });
const started: NewEvent = { type: 'ConvoyStarted', data: {} };

describe('decider specification', () => {
  it('given bare events, when a command is decided, then the decider sees them wrapped in the command’s envelope', () => {
    const { spec, seen } = toy();
    spec.given([started, { ...started, commandId: 'earlier' }]).when(answering([])).thenNothing();
    expect(seen[0]).toEqual([
      expect.objectContaining({ type: 'ConvoyStarted', townId: TOWN_ID, convoyId: CONVOY_ID, commandId: 'given-0', schemaVersion: 1 }),
      expect.objectContaining({ commandId: 'earlier', eventId: expect.stringMatching(/^[0-9a-f-]{36}$/) }),
    ]);
  });

  it('given a decider, when it answers other events than expected, then the expectation fails', () => {
    expect(() => toy().spec.given([]).when(answering([started])).then([])).toThrow();
  });

  it('given a decider, when it answers an event its contract refuses, then the expectation fails even if it was expected', () => {
    const invalid = { type: 'BeadsBecameReady', data: { beadIds: [] } } as NewEvent;
    expect(() => toy().spec.given([]).when(answering([invalid])).then([invalid])).toThrow(/BeadsBecameReady\.beadIds/);
  });

  it('given a decider that writes, when nothing is expected, then the expectation fails', () => {
    expect(() => toy().spec.given([]).when(answering([started])).thenNothing()).toThrow();
  });

  it('given a decider that accepts, when a refusal is expected, then the expectation fails', () => {
    expect(() => toy().spec.given([]).when(answering([])).thenThrows('CONFLICT', 'no')).toThrow();
  });

  it('given a refusal, when another code or message is expected, then the expectation fails', () => {
    const refusal = answering(DomainError.conflict('convoy is LANDED'));
    expect(() => toy().spec.given([]).when(refusal).thenThrows('NOT_FOUND', 'convoy is LANDED')).toThrow();
    expect(() => toy().spec.given([]).when(refusal).thenThrows('CONFLICT', 'convoy is')).toThrow();
    expect(toy().spec.given([]).when(refusal).thenThrows('CONFLICT', /LANDED$/).code).toBe('CONFLICT');
  });
});
