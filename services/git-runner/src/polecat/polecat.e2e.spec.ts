import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '@gastown/testing';
import { beadFilePath } from '../agent/demo.agent';
import { RunnerFixture, type TestRig } from '../testing/runner.fixture';

/** 'alive', or the error code of signalling the process group (ESRCH: every member is gone). */
function group(pgid: number): string {
  try {
    process.kill(-pgid, 0);
    return 'alive';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'unknown';
  }
}

describe('the polecat: agent jobs in a running git-runner', () => {
  let fixture: RunnerFixture;
  const runner = 'runner-a';

  beforeAll(async () => {
    fixture = await RunnerFixture.start();
    await fixture.startRunner(runner);
  });

  afterAll(async () => {
    await fixture?.close();
  });

  const agentsDir = () => join(fixture.runnerRoot(runner), 'agents');
  const logOf = (convoyId: string, beadId: string, attempt: number) =>
    join(fixture.runnerRoot(runner), 'logs', convoyId, `${beadId}-a${attempt}.log`);

  /** The process group of the agent running in worktree `<bead8>-a<attempt>`, from the runner's record of it. */
  async function runningAgent(beadId: string, attempt: number): Promise<number> {
    const record = join(agentsDir(), `${beadId.slice(0, 8)}-a${attempt}.json`);
    return eventually('the agent to be running', async () => (JSON.parse(readFileSync(record, 'utf8')) as { pid: number }).pid);
  }

  async function slingAndDispatch(rig: TestRig, body: string) {
    const { convoyId, beadIds } = await fixture.sling(rig, [{ title: 'Add the header', body }], { title: 'Polecat spec' });
    const bead = await fixture.dispatch(convoyId, beadIds[0]);
    const job = { kind: 'agent' as const, townId: fixture.townId, convoyId, rigId: rig.rigId, beadId: bead.beadId, attempt: bead.attempt };
    return { convoyId, bead, job };
  }

  it('given a demo bead, when its agent job runs, then the branch is pushed with the bead file and submitted', async () => {
    const rig = await fixture.registerRig();
    const { convoyId, bead, job } = await slingAndDispatch(rig, 'Every page gets one.');

    await fixture.publish(job);

    const submitted = await fixture.waitForEvent(convoyId, 'BeadSubmitted');
    expect(submitted.data).toMatchObject({ beadId: bead.beadId, attempt: 1, branch: bead.branch });
    expect(submitted.data.headCommit).toBe(rig.origin.tip(bead.branch));
    expect(submitted.data.agentResult).toMatchObject({ exitCode: 0, signal: null, timedOut: false });
    expect(submitted.data.agentResult?.outputTail).toContain(`demo agent: wrote ${beadFilePath(bead.beadId)}`);
    expect(await fixture.waitForEvent(convoyId, 'BeadStarted')).toMatchObject({ actor: { kind: 'service', id: `git-runner:${runner}` } });
    expect(rig.origin.git(['show', `${bead.branch}:${beadFilePath(bead.beadId)}`], rig.origin.url)).toBe('# Add the header\n\nEvery page gets one.');
    // The work starts from the convoy's feature branch, which the polecat created on origin.
    expect(rig.origin.git(['rev-parse', `${bead.branch}^`], rig.origin.url)).toBe(rig.origin.tip(bead.baseBranch));
    expect(rig.origin.git(['log', '-1', '--format=%an <%ae>%n%B', bead.branch], rig.origin.url)).toBe(
      `Polecat furiosa <polecat@gastown.local>\nAdd the header\n\nBead ${bead.beadId} attempt 1`,
    );
    await eventually('the job to be acknowledged', async () => (await fixture.pendingJobs()) === 0);
    expect(readdirSync(join(fixture.runnerRoot(runner), 'rigs', fixture.townId, rig.rigId, 'worktrees'))).toEqual([]);
    expect(readFileSync(logOf(convoyId, bead.beadId, 1), 'utf8')).toContain(`demo agent: wrote ${beadFilePath(bead.beadId)}`);
  });

  it('given a failing demo agent, when its job runs, then the attempt fails with the exit code and the end of its output', async () => {
    const rig = await fixture.registerRig();
    const { convoyId, bead, job } = await slingAndDispatch(rig, 'demo:fail');

    await fixture.publish(job);

    const failed = await fixture.waitForEvent(convoyId, 'BeadAttemptFailed');
    expect(failed.data.reason).toMatch(/^agent exited with code 1; the end of its output:\n/);
    expect(failed.data.reason).toContain(`demo agent: failing as told by demo:fail (bead ${bead.beadId}, attempt 1)`);
    expect(failed.data.agentResult).toMatchObject({ exitCode: 1, signal: null, timedOut: false });
    expect(failed.data.agentResult?.outputTail).toContain(`demo agent: failing as told by demo:fail (bead ${bead.beadId}, attempt 1)`);
    expect(rig.origin.tip(bead.branch)).toBeUndefined();
  });

  // Long enough for the demo agent to start in its sandbox (node compiles its TypeScript) on a loaded machine.
  it('given a hanging agent and a 5 s timeout, when the time is up, then its process group is gone and the attempt failed as timed out', async () => {
    const rig = await fixture.registerRig({ agentTimeoutMs: 5_000 });
    const { convoyId, bead, job } = await slingAndDispatch(rig, 'demo:hang');

    await fixture.publish(job);
    const pgid = await runningAgent(bead.beadId, bead.attempt);

    const failed = await fixture.waitForEvent(convoyId, 'BeadAttemptFailed');
    expect(failed.data.reason).toMatch(/^agent timed out after 5s; the end of its output:\n[\s\S]*hanging as told by demo:hang/);
    expect(failed.data.agentResult).toMatchObject({ exitCode: null, timedOut: true });
    expect(group(pgid)).toBe('ESRCH');
  });

  it('given a hanging agent, when its convoy is cancelled, then the agent is gone within seconds and nothing is reported', async () => {
    const rig = await fixture.registerRig();
    const { convoyId, bead, job } = await slingAndDispatch(rig, 'demo:hang');
    await fixture.publish(job);
    const pgid = await runningAgent(bead.beadId, bead.attempt);

    await fixture.command('CloseConvoy', convoyId, { reason: 'changed plans' });
    fixture.bus.nc.publish(fixture.bus.names.cancelBroadcast, JSON.stringify({ townId: fixture.townId, convoyId, reason: 'changed plans' }));

    await eventually('the agent process group to be gone', async () => group(pgid) === 'ESRCH', { timeoutMs: 5_000 });
    await eventually('the job to be acknowledged', async () => (await fixture.pendingJobs()) === 0);
    const types = (await fixture.events(convoyId)).map((e) => e.type);
    expect(types.slice(types.indexOf('ConvoyCancelled'))).not.toContain('BeadSubmitted');
    expect(types).not.toContain('BeadAttemptFailed');
    expect(existsSync(join(fixture.runnerRoot(runner), 'rigs', fixture.townId, rig.rigId, 'worktrees', `${bead.beadId.slice(0, 8)}-a1`))).toBe(false);
    expect(readFileSync(logOf(convoyId, bead.beadId, 1), 'utf8')).toMatch(/cancelled: sent SIGTERM to process group/);
  });

  it('given the same agent job published twice past the server dedupe, when both arrive, then one agent runs', async () => {
    const rig = await fixture.registerRig();
    const { convoyId, bead, job } = await slingAndDispatch(rig, 'demo:hang');

    await fixture.publish(job);
    await runningAgent(bead.beadId, bead.attempt);
    await fixture.publish(job, `${convoyId}:republished`);

    // The duplicate is acknowledged and dropped; the running job stays unacknowledged.
    await eventually('the duplicate to be dropped', async () => (await fixture.pendingJobs()) === 1);
    expect(readFileSync(logOf(convoyId, bead.beadId, 1), 'utf8').match(/starting the demo agent/g)).toHaveLength(1);
    expect((await fixture.events(convoyId)).filter((e) => e.type === 'BeadStarted')).toHaveLength(1);

    await fixture.command('CloseConvoy', convoyId, { reason: 'done with the test' });
    fixture.bus.nc.publish(fixture.bus.names.cancelBroadcast, JSON.stringify({ townId: fixture.townId, convoyId, reason: 'done' }));
    await eventually('the job to be acknowledged', async () => (await fixture.pendingJobs()) === 0);
  });
});
