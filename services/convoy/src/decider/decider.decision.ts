import type { NewEvent } from '@gastown/contracts';

/**
 * What a decider answers to a command. `result` is what the caller gets back (ids the decision
 * created); a repeated command id yields no events, `duplicate: true` and the same shape of result.
 */
export interface Decision {
  events: NewEvent[];
  result: Record<string, unknown>;
  duplicate: boolean;
}
