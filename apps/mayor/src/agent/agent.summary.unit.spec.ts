import { agent, id, rig } from '../mayor.fixtures';
import { summarizeAgents } from './agent.summary';

describe('agent summaries', () => {
  const rigs = [rig(1, 'web')];

  it('given working and idle polecats, when summarised, then the counts come first and each line says what the polecat does', () => {
    const working = agent('nux', {
      status: 'WORKING',
      currentBead: { id: id(101), title: 'API', convoyId: id(50) },
      lastHeartbeatAt: '2026-11-25T09:04:00.000Z',
      attemptsTotal: 2,
    });

    expect(summarizeAgents([working, agent('slit')], rigs).split('\n')).toEqual([
      '2 polecats: 1 working, 1 idle.',
      `- nux WORKING on "API" (bead ${id(101)}) on rig "web", 2 attempts so far, last heartbeat 2026-11-25T09:04:00.000Z`,
      '- slit IDLE on rig "web", 1 attempt so far',
    ]);
  });

  it('given the polecats of one rig, when summarised, then the rig is named once, not on every line', () => {
    expect(summarizeAgents([agent('slit')], rigs, rigs[0])).toBe('1 polecat on rig "web": 0 working, 1 idle.\n- slit IDLE, 1 attempt so far');
  });

  it('given no polecat yet on a rig, when summarised, then it says they appear once a bead is dispatched', () => {
    expect(summarizeAgents([], rigs, rigs[0])).toBe('No polecat has worked on rig "web" yet; agents appear once a bead is dispatched.');
  });
});
