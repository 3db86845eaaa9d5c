import { aBead, aConvoyDetail } from '../gt.fixtures';
import { formatCreated, formatDryRun } from './sling.format';

describe('sling output', () => {
  const input = {
    title: 'Login page',
    defaultRigId: 'rig-web',
    mergeMode: 'REVIEW_THEN_LAND' as const,
    staged: false,
    parallel: false,
    tasks: [
      { title: 'Schema', dependsOn: [] },
      { title: 'API', rigId: 'rig-api', dependsOn: [0] },
      { title: 'UI', dependsOn: [0] },
      { title: 'E2E', dependsOn: [1, 2] },
    ],
  };
  const rigName = (id: string) => ({ 'rig-web': 'web', 'rig-api': 'api' })[id] ?? id;

  it('given a diamond plan, when dry-run, then the waves list tasks by index and title with their rig when not the default', () => {
    expect(formatDryRun(input, [[0], [1, 2], [3]], rigName)).toEqual([
      'plan "Login page": 4 tasks on web, api, review_then_land',
      '3 waves:',
      '  1. [0] Schema',
      '  2. [1] API (api), [2] UI',
      '  3. [3] E2E',
      'dry run: nothing was created',
    ]);
  });

  it('given a created convoy, when reported, then it shows its id, waves and how to follow it', () => {
    const beads = [aBead({ id: 'b1', index: 0, title: 'Schema' }), aBead({ id: 'b2', index: 1, title: 'API' })];
    const lines = formatCreated(aConvoyDetail(beads, { waves: [['b1'], ['b2']] }));
    expect(lines[0]).toBe('convoy "Login page" created: c0000000-0000-4000-8000-000000000001');
    expect(lines).toContain('  1. [0] Schema');
    expect(lines).toContain('  2. [1] API');
    expect(lines.at(-1)).toBe('follow it with: gt convoy status c0000000-0000-4000-8000-000000000001 --watch');
  });

  it('given a staged convoy, when reported, then it says how to start it', () => {
    expect(formatCreated(aConvoyDetail([], { status: 'STAGED' })).at(-1)).toBe('start it with: gt convoy start c0000000-0000-4000-8000-000000000001');
  });
});
