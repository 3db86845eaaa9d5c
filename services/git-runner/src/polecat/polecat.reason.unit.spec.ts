import type { AgentOutcome } from '../agent/agent.runner';
import { agentResultOf, failureReason, reportableTail } from './polecat.reason';

const outcome = (fields: Partial<AgentOutcome>): AgentOutcome => ({
  exitCode: null,
  signal: null,
  timedOut: false,
  cancelled: false,
  durationMs: 10,
  outputTail: '',
  promptFile: '/p/prompt.md',
  ...fields,
});

describe('failure reasons', () => {
  it('given a non-zero exit, when described, then the code and the end of the output are named', () => {
    expect(failureReason(outcome({ exitCode: 3, outputTail: 'compiling\nerror: no such file\n' }), 60_000, [])).toBe(
      'agent exited with code 3; the end of its output:\ncompiling\nerror: no such file',
    );
  });

  it('given a timeout, when described, then the limit is given in seconds', () => {
    expect(failureReason(outcome({ timedOut: true, signal: 'SIGTERM' }), 1_500, [])).toBe('agent timed out after 1.5s');
  });

  it('given a kill by a signal, when described, then the signal is named', () => {
    expect(failureReason(outcome({ signal: 'SIGKILL' }), 1_000, [])).toBe('agent was killed by SIGKILL');
  });

  it('given an agent its sandbox stopped at a limit, when described, then the limit comes before the bare exit code', () => {
    const limit = 'memory limit 2048 MB reached (the kernel killed 1 process of the run)';
    expect(failureReason(outcome({ exitCode: 137, limit }), 1_000, [])).toBe(`the agent's sandbox stopped it: ${limit}; agent exited with code 137`);
  });

  it('given output with a passed secret and a URL with credentials, when described, then neither appears', () => {
    const tail = reportableTail('using key sk-ant-123456\ncloning https://bot:ghp_token@github.com/acme/web.git\n', ['sk-ant-123456']);
    expect(tail).toBe('using key ***\ncloning https://***@github.com/acme/web.git');
  });

  it('given a long output, when described, then only its end is kept', () => {
    const tail = reportableTail(`${'x'.repeat(5_000)}THE END`, []);
    expect(tail).toHaveLength(2_001);
    expect(tail.endsWith('THE END')).toBe(true);
    expect(tail.startsWith('…')).toBe(true);
  });

  it('given an agent that failed with a passed secret in its output, when its result is reported, then exit, duration and the whole tail are kept without the secret', () => {
    const result = agentResultOf(outcome({ exitCode: 2, durationMs: 1234, outputTail: 'key sk-ant-123456 rejected\nbye\n' }), ['sk-ant-123456']);
    expect(result).toEqual({ exitCode: 2, signal: null, timedOut: false, durationMs: 1234, outputTail: 'key *** rejected\nbye\n' });
  });
});
