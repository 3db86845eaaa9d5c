import { GatewayError, PlanError } from '@gastown/gateway-client';
import { CommandFailedError, exitCodeOf, formatError, UsageError } from './cli.errors';

describe('exit codes', () => {
  it.each([
    ['a usage error', new UsageError('bad flag'), 2],
    ['an invalid plan', new PlanError('plan.yaml', ['title is required']), 2],
    ['an unreachable gateway', new GatewayError('UNREACHABLE', 'no answer'), 3],
    ['a wrong token', new GatewayError('UNAUTHENTICATED', 'bad token'), 4],
    ['an unknown id', new GatewayError('NOT_FOUND', 'convoy x not found'), 5],
    ['a rate limit', new GatewayError('RATE_LIMITED', 'rate limited', { retryAfterMs: 1500 }), 6],
    ['a refusal', new GatewayError('BAD_USER_INPUT', 'cycle'), 1],
    ['a conflict', new GatewayError('CONFLICT', 'already closed'), 1],
    ['a failed command', new CommandFailedError('no convoy service'), 1],
    ['anything else', new Error('boom'), 1],
  ])('given %s, when gt exits, then the code is %i', (_, error, code) => {
    expect(exitCodeOf(error)).toBe(code);
  });
});

describe('formatError', () => {
  it('given --json, when a gateway error is shown, then stderr holds {error:{code,message,details}}', () => {
    const error = new GatewayError('BAD_USER_INPUT', 'tasks 0 → 1 → 0 form a cycle', { cycle: [0, 1, 0] });
    expect(JSON.parse(formatError(error, true))).toEqual({
      error: { code: 'BAD_USER_INPUT', message: 'tasks 0 → 1 → 0 form a cycle', details: { cycle: [0, 1, 0] } },
    });
  });

  it('given --json, when a plan is invalid, then the details list every problem', () => {
    const report = JSON.parse(formatError(new PlanError('plan.yaml', ['title is required', 'tasks must hold at least one task']), true));
    expect(report.error.code).toBe('INVALID_PLAN');
    expect(report.error.details).toEqual({ source: 'plan.yaml', problems: ['title is required', 'tasks must hold at least one task'] });
  });

  it('given a wrong token in human form, when shown, then it says to check GT_TOKEN', () => {
    expect(formatError(new GatewayError('UNAUTHENTICATED', 'invalid token'), false)).toMatch(/^gt: invalid token\n\(check GT_TOKEN/);
  });

  it('given a rate limit in human form, when shown, then it says when to retry and that nothing changed', () => {
    const error = new GatewayError('RATE_LIMITED', 'rate limited: the town sends more than 20 mutations a second; retry in 1.5 s', { retryAfterMs: 1500 });
    expect(formatError(error, false)).toBe(
      'gt: rate limited: the town sends more than 20 mutations a second; retry in 1.5 s\n' +
        '(the town is over its share of the gateway and gt waited as long as it may; retry in 1.5 s; nothing was changed)',
    );
    expect(JSON.parse(formatError(error, true)).error).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterMs: 1500 } });
  });
});
