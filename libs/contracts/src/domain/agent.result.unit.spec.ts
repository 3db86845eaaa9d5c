import { ConvoyCommand } from '../commands/convoy.commands';
import { AGENT_OUTPUT_TAIL_MAX, redactAgentResult, type AgentResult } from './agent.result';
import { generateTownToken } from './town.token';

const failed: AgentResult = { exitCode: 1, signal: null, timedOut: false, durationMs: 12, outputTail: 'error\n' };

function failBeadAttempt(data: Record<string, unknown>) {
  return {
    type: 'FailBeadAttempt',
    commandId: 'fail:1',
    townId: '2f1e8a5c-7d3b-4c1a-9e2f-0a1b2c3d4e5f',
    convoyId: '8c0f3b1e-5a6d-5e7f-8a9b-0c1d2e3f4a5b',
    actor: { kind: 'service', id: 'git-runner:r1' },
    data: { beadId: 'a1b2c3d4-e5f6-5a7b-8c9d-0e1f2a3b4c5d', attempt: 1, reason: 'agent exited with code 1', ...data },
  };
}

describe('agent results', () => {
  it('given an agent result whose output holds a town token and a URL password, when redacted for an event, then both are gone and the rest is kept', () => {
    const token = generateTownToken();
    const result = redactAgentResult({ ...failed, outputTail: `using ${token}\npush https://bot:hunter2@git.example.com/web.git failed\n` });
    expect(result).toEqual({ ...failed, outputTail: 'using gt_***\npush https://***@git.example.com/web.git failed\n' });
  });

  it('given an output tail that redaction makes longer than the limit, when redacted, then its end is kept within the limit', () => {
    const outputTail = `${'a://u@'.repeat(AGENT_OUTPUT_TAIL_MAX / 6)}END`.slice(-AGENT_OUTPUT_TAIL_MAX);
    const result = redactAgentResult({ ...failed, outputTail });
    expect(result.outputTail).toHaveLength(AGENT_OUTPUT_TAIL_MAX);
    expect(result.outputTail.endsWith('a://***@END')).toBe(true);
  });

  it('given a report from a runner that predates agent results, when parsed, then it is still a valid command', () => {
    const parsed = ConvoyCommand.parse(failBeadAttempt({}));
    expect(parsed.type === 'FailBeadAttempt' && parsed.data.agentResult).toBeUndefined();
  });

  it('given a report with an output tail beyond the limit, when parsed, then the error names agentResult.outputTail', () => {
    const parsed = ConvoyCommand.safeParse(failBeadAttempt({ agentResult: { ...failed, outputTail: 'x'.repeat(AGENT_OUTPUT_TAIL_MAX + 1) } }));
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toEqual(['data.agentResult.outputTail']);
  });
});
