import { aBeadDetail } from '../gt.fixtures';
import { formatBead } from './bead.format';

describe('bead output', () => {
  it('given a bead with a failed and a running attempt, when shown, then each attempt has its outcome, exit, reason and output tail', () => {
    const lines = formatBead(
      aBeadDetail({
        status: 'IN_PROGRESS',
        assignee: 'nux',
        attempts: [
          {
            number: 1,
            agentName: 'nux',
            outcome: 'FAILED',
            startedAt: '2026-11-23T12:00:00Z',
            endedAt: '2026-11-23T12:00:09Z',
            exitCode: 1,
            reason: 'the agent exited with 1',
            outputTail: 'running tests\nFAIL login.spec.ts\n',
          },
          { number: 2, agentName: 'ace', outcome: 'RUNNING', startedAt: '2026-11-23T12:00:20Z', endedAt: null, exitCode: null, reason: null, outputTail: null },
        ],
      }),
    );
    expect(lines).toContain('attempts (2):');
    expect(lines).toContain('  #1 nux FAILED · exit 1 · 2026-11-23 12:00:00Z → 2026-11-23 12:00:09Z');
    expect(lines).toContain('     reason: the agent exited with 1');
    expect(lines).toContain('     │ FAIL login.spec.ts');
    expect(lines).toContain('  #2 ace RUNNING · 2026-11-23 12:00:20Z → -');
  });

  it('given a bead never dispatched, when shown, then it says there are no attempts', () => {
    expect(formatBead(aBeadDetail())).toContain('no attempts yet');
  });
});
