import { formatAgents } from './agents.format';

describe('agents output', () => {
  it('given a working and an idle polecat, when listed, then each shows its rig by name and its bead', () => {
    const lines = formatAgents(
      [
        {
          id: 'a1',
          name: 'nux',
          rigId: 'r1',
          status: 'WORKING',
          currentBead: { id: 'b1', title: 'Schema', convoyId: 'c1' },
          lastHeartbeatAt: '2026-11-23T12:00:07Z',
          lastSeenAt: '2026-11-23T12:00:07Z',
          attemptsTotal: 3,
        },
        { id: 'a2', name: 'ace', rigId: 'r1', status: 'IDLE', currentBead: null, lastHeartbeatAt: null, lastSeenAt: '2026-11-23T12:00:00Z', attemptsTotal: 1 },
      ],
      () => 'web',
    );
    expect(lines[1]).toMatch(/^nux\s+WORKING\s+web\s+3\s+2026-11-23 12:00:07Z\s+b1 "Schema"$/);
    expect(lines[2]).toMatch(/^ace\s+IDLE\s+web\s+1\s+-\s+-$/);
  });

  it('given no polecats, when listed, then it says when they appear', () => {
    expect(formatAgents([], () => '')).toEqual(['no polecats seen yet: they appear once a bead is dispatched']);
  });
});
