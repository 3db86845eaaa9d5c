import { FailureLog } from './graphql.websocket';

describe('subscription failure log', () => {
  it('given 200 subscribers failing the same way at once, when logged, then there is one line', () => {
    const lines: string[] = [];
    const log = new FailureLog((line) => lines.push(line), () => 0);
    for (let i = 0; i < 200; i++) log.failed('NATS connection closed');
    expect(lines).toEqual(['a subscription failed: NATS connection closed']);
  });

  it('given the same failure after the window, when logged, then one more line says how many were hit meanwhile', () => {
    let now = 0;
    const lines: string[] = [];
    const log = new FailureLog((line) => lines.push(line), () => now);
    for (let i = 0; i < 5; i++) log.failed('stream gone');
    now = 10_000;
    log.failed('stream gone');
    expect(lines).toEqual(['a subscription failed: stream gone', 'a subscription failed: stream gone (and 4 more subscribers in the last 10 s)']);
  });

  it('given two different failures, when logged, then each has its line', () => {
    const lines: string[] = [];
    const log = new FailureLog((line) => lines.push(line), () => 0);
    log.failed('a');
    log.failed('b');
    expect(lines).toHaveLength(2);
  });
});
