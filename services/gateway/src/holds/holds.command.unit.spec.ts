import { formatDispatcherRelease, formatHolds, formatRetry, listedHold, parseHoldsArgs } from './holds.command';

describe('the holds command line', () => {
  it('given list, retry and skip as the operator types them, then each is understood', () => {
    expect(parseHoldsArgs(['list'])).toEqual({ kind: 'list', json: false });
    expect(parseHoldsArgs(['list', '--json'])).toEqual({ kind: 'list', json: true });
    expect(parseHoldsArgs(['retry', 'gt.evt.t.convoy.c'])).toEqual({ kind: 'retry', subject: 'gt.evt.t.convoy.c' });
    expect(parseHoldsArgs(['retry', '--all'])).toEqual({ kind: 'retry-all' });
    expect(parseHoldsArgs(['skip', 'gt.evt.t.convoy.c', '--reason', 'broken build'])).toEqual({ kind: 'skip', subject: 'gt.evt.t.convoy.c', reason: 'broken build' });
    expect(parseHoldsArgs(['skip', '--reason', 'broken build', 'gt.evt.t.town'])).toEqual({ kind: 'skip', subject: 'gt.evt.t.town', reason: 'broken build' });
  });

  it('given a skip without a reason, then it is refused: the reason is the only account of a message never applied', () => {
    expect(parseHoldsArgs(['skip', 'gt.evt.t.convoy.c'])).toEqual({ error: 'skip needs --reason "why", recorded in the history' });
    expect(parseHoldsArgs(['skip', 'gt.evt.t.convoy.c', '--reason', '  '])).toEqual({ error: 'skip needs --reason "why", recorded in the history' });
  });

  it('given no command, an unknown one or a retry of nothing, then the error says what is wrong', () => {
    expect(parseHoldsArgs([])).toEqual({ error: 'a command is needed' });
    expect(parseHoldsArgs(['release'])).toEqual({ error: 'unknown command "release"' });
    expect(parseHoldsArgs(['retry'])).toEqual({ error: 'retry takes one subject, or --all' });
    expect(parseHoldsArgs(['skip', 'a', 'b', '--reason', 'x'])).toEqual({ error: 'skip takes one subject' });
  });

  it('given holds, when listed, then each line names the service, subject, seq, since and reason on one line', () => {
    const since = new Date('2026-12-01T10:00:00.000Z');
    const out = formatHolds([{ subject: 'gt.evt.t.convoy.c', seq: 42, reason: 'rejected\nby the schema', heldAt: since }]);

    expect(out.split('\n')).toEqual([
      'SERVICE    SUBJECT            SEQ  SINCE                     REASON',
      'projector  gt.evt.t.convoy.c  42   2026-12-01T10:00:00.000Z  rejected by the schema',
    ]);
    expect(formatHolds([])).toBe('no holds');
  });

  it('given a retry that holds again, then the line says so and the subject counts as held', () => {
    const hold = { subject: 's', seq: 7, reason: 'bad', heldAt: new Date() };

    expect(formatRetry({ subject: 's', applied: 0, hold })).toEqual({ line: 's: applied 0, still held at seq 7: bad', held: true });
    expect(formatRetry({ subject: 's', applied: 2, hold: null }, 7)).toEqual({ line: 's: skipped seq 7, applied 2, flowing again', held: false });
  });

  it('given a dispatcher hold among the projector’s, when listed, then its line names the dispatcher', () => {
    const since = '2026-12-01T11:00:00.000Z';
    const out = formatHolds([listedHold({ service: 'dispatcher', subject: 'gt.evt.t.convoy.d', seq: 9, townId: 't', convoyId: 'd', reason: 'payload missing', since })]);
    expect(out.split('\n')[1]).toBe(`dispatcher  gt.evt.t.convoy.d  9    ${since}  payload missing`);
  });

  it('given the dispatcher’s answer to a release (or none), then the line says whether it flows, holds again or waits for a dispatcher', () => {
    const hold = { service: 'dispatcher' as const, subject: 's', seq: 9, townId: 't', convoyId: 'c', reason: 'still missing', since: '2026-12-01T11:00:00.000Z' };
    expect(formatDispatcherRelease('s', { answered: true, hold: null }, 9)).toEqual({ line: 's: dispatcher skipped seq 9, flowing again', held: false });
    expect(formatDispatcherRelease('s', { answered: true, hold })).toEqual({ line: 's: dispatcher still held at seq 9: still missing', held: true });
    expect(formatDispatcherRelease('s', { answered: false, hold })).toMatchObject({ held: true, line: expect.stringMatching(/no dispatcher answered/) });
  });
});
