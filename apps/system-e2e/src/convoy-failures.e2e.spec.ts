import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { eventually } from '@gastown/testing';
import { SystemHarness } from '@gastown/system-testing';

describe('a convoy whose work fails', () => {
  let system: SystemHarness;

  beforeAll(async () => {
    system = await SystemHarness.start({ env: { CONVOY_MAX_ATTEMPTS: '3' } });
  });
  afterAll(async () => {
    await system?.close();
  });

  it('given an agent that fails every time, when retried, then the bead is FAILED, its dependent held, and retryBead lets the convoy land', async () => {
    const repo = system.origin();
    const rigId = await system.registerRig('flaky', repo.bare);
    const created = await system.slingBatch({
      title: 'Flaky agent',
      defaultRigId: rigId,
      tasks: [{ title: 'broken', body: 'demo:fail-until 4' }, { title: 'after', dependsOn: [0] }],
    });
    const failed = await system.until(created.id, ['FAILED', 'LANDED']);
    expect(failed.status).toBe('FAILED');
    const [broken, after] = [...failed.beads].sort((x, y) => x.index - y.index);
    expect(broken).toMatchObject({ status: 'FAILED', attemptCount: 3 });
    expect(broken.lastReason).toMatch(/exited with code 1/);
    const { bead } = await system.gql<{ bead: { attempts: { number: number; outcome: string; exitCode: number | null; outputTail: string | null }[] } }>(
      'query ($id: ID!) { bead(id: $id) { attempts { number outcome exitCode outputTail } } }',
      { id: broken.id },
    );
    // The last attempt ended the bead (BeadFailed) and still tells how its agent ended.
    expect(bead.attempts.map((a) => [a.number, a.outcome, a.exitCode])).toEqual([
      [1, 'FAILED', 1],
      [2, 'FAILED', 1],
      [3, 'FAILED', 1],
    ]);
    for (const attempt of bead.attempts) expect(attempt.outputTail).toContain(`demo agent: failing as told by demo:fail-until 4`);
    expect(after).toMatchObject({ status: 'OPEN', blocked: true });
    expect(after.blockedReason).toMatch(/broken/);

    await system.gql('mutation ($id: ID!) { retryBead(id: $id) { id status } }', { id: broken.id });
    const landed = await system.until(created.id, ['LANDED']);
    expect(landed.progress).toMatchObject({ total: 2, closed: 2 });
  });

  it('given a failing check, when a bead is reviewed, then nothing is merged and the check output comes back as the reason', async () => {
    const repo = system.origin();
    const check = ['node', '-e', "if (require('fs').existsSync('forbidden.txt')) { console.error('forbidden.txt must not exist'); process.exit(3) }"];
    const rigId = await system.registerRig('checked', repo.bare, { checks: [{ name: 'no-forbidden', command: check }] });
    const created = await system.slingBatch({
      title: 'Breaks the check',
      defaultRigId: rigId,
      mergeMode: 'REVIEW_AND_MERGE',
      tasks: [{ title: 'forbidden', body: 'demo:edit forbidden.txt oops' }],
    });
    const done = await system.until(created.id, ['FAILED', 'LANDED']);
    expect(done.status).toBe('FAILED');
    const events = await system.events(created.id);
    const rework = events.find((e) => e.type === 'BeadReworkRequested');
    expect((rework?.data as { reason: string }).reason).toMatch(/no-forbidden[\s\S]*forbidden\.txt must not exist/);
    expect(repo.read('ls-tree', '--name-only', 'origin/main')).not.toMatch(/forbidden\.txt/);
  });

  it('given an agent that hangs, when its timeout passes, then it is killed and counted as a failed attempt', async () => {
    const repo = system.origin();
    const rigId = await system.registerRig('hangs', repo.bare, { agentTimeoutMs: 1_500 });
    const created = await system.slingBatch({ title: 'Hangs', defaultRigId: rigId, tasks: [{ title: 'sleepy', body: 'demo:hang' }] });
    const failed = await system.until(created.id, ['FAILED']);
    expect(failed.beads[0].lastReason).toMatch(/timed out/);
    const events = await system.events(created.id);
    expect(events.filter((e) => e.type === 'BeadAttemptFailed').map((e) => (e.data as { reason: string }).reason)).toEqual([
      expect.stringMatching(/timed out/),
      expect.stringMatching(/timed out/),
    ]);
  });

  it('given an agent at work, when its convoy is closed, then the agent is gone within seconds and nothing is merged afterwards', async () => {
    const repo = system.origin();
    const rigId = await system.registerRig('closing', repo.bare);
    const created = await system.slingBatch({
      title: 'Closed while working',
      defaultRigId: rigId,
      mergeMode: 'REVIEW_AND_MERGE',
      tasks: [{ title: 'forever', body: 'demo:hang' }],
    });
    await system.until(created.id, ['ACTIVE']);
    const started = await waitForStarted(system, created.id);
    await system.gql('mutation ($id: ID!) { closeConvoy(id: $id, reason: "plan changed") { status } }', { id: created.id });
    const mainBefore = repo.read('rev-parse', 'origin/main');
    await waitForGone(started);
    expect((await system.convoy(created.id)).status).toBe('CANCELLED');
    expect(repo.read('rev-parse', 'origin/main')).toBe(mainBefore);
    const events = await system.events(created.id);
    const cancelledAt = events.findIndex((e) => e.type === 'ConvoyCancelled');
    expect(events.slice(cancelledAt + 1).filter((e) => !['BeadCancelled', 'BeadsBecameUnready', 'BeadsReleased'].includes(e.type))).toEqual([]);
  });
});

async function waitForStarted(system: SystemHarness, convoyId: string): Promise<number[]> {
  await eventually('the agent to start', async () => (await system.events(convoyId)).some((e) => e.type === 'BeadStarted'));
  return eventually('the demo agent process', async () => {
    // Bundled, from sources as from the build: the runner starts demo-agent.main.js with plain node.
    const out = execFileSync('pgrep', ['-f', 'demo-agent\\.main\\.js'], { encoding: 'utf8' }).trim();
    return out ? out.split('\n').map(Number) : null;
  });
}

/**
 * Gone or a zombie: the sandbox's init (a bwrap process, found by its command line too) may be
 * left for the machine's init to reap a moment after it died, and runs nothing meanwhile.
 */
async function waitForGone(pids: number[]): Promise<void> {
  const running = (pid: number) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
    } catch {
      return false;
    }
  };
  await eventually('the agent processes to be gone', async () => !pids.some(running), { timeoutMs: 10_000 });
}
