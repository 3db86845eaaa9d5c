import { earliestHold } from './holds.merge';

const hold = (service: string, since: string) => ({ service, seq: 7, reason: `${service} cannot go on`, since: new Date(since) });

describe('the hold a subject shows', () => {
  it('given no hold, when merged, then it is not held', () => {
    expect(earliestHold([])).toBeNull();
  });

  it('given the projector and the dispatcher both holding it, when merged, then the one that began first shows', () => {
    const projector = hold('projector', '2026-12-05T10:00:00Z');
    const dispatcher = hold('dispatcher', '2026-12-05T09:00:00Z');
    expect(earliestHold([projector, dispatcher])).toBe(dispatcher);
    expect(earliestHold([dispatcher, projector])).toBe(dispatcher);
  });
});
