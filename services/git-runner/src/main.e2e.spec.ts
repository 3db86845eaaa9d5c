import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readDeadLetters } from '@gastown/bus';
import { eventually, startService } from '@gastown/testing';
import { hostProcessesWith } from './sandbox/testing/sandbox.testing';
import { RunnerFixture, type TestRig } from './testing/runner.fixture';

function group(pgid: number): string {
  try {
    process.kill(-pgid, 0);
    return 'alive';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'unknown';
  }
}

describe('git-runner process', () => {
  let fixture: RunnerFixture;

  beforeAll(async () => {
    fixture = await RunnerFixture.start();
  });

  // Each test's runners go with it, so no test's jobs land on another test's runner.
  afterEach(async () => {
    await fixture.stopRunners();
  });

  afterAll(async () => {
    await fixture?.close();
  });

  /** A hanging demo agent dispatched on `rig`, its job published; returns once `runner` runs it. */
  async function hangingAgent(rig: TestRig, runner: string) {
    const { convoyId, beadIds } = await fixture.sling(rig, [{ title: 'Hang on', body: 'demo:hang' }], { title: 'Process spec' });
    const bead = await fixture.dispatch(convoyId, beadIds[0]);
    await fixture.publish({ kind: 'agent', townId: fixture.townId, convoyId, rigId: rig.rigId, beadId: bead.beadId, attempt: 1 });
    const key = `${bead.beadId.slice(0, 8)}-a1`;
    const record = join(fixture.runnerRoot(runner), 'agents', `${key}.json`);
    const pgid = await eventually(`the agent to run on ${runner}`, async () => (JSON.parse(readFileSync(record, 'utf8')) as { pid: number }).pid);
    const worktree = join(fixture.runnerRoot(runner), 'rigs', fixture.townId, rig.rigId, 'worktrees', key);
    return { convoyId, bead, pgid, record, worktree };
  }

  it('given a bad environment, when started, then it names each bad value and exits with 2', async () => {
    const runner = await startService('git-runner', {
      env: { NATS_URL: 'localhost:4222', GIT_RUNNER_MAX_AGENTS: 'many', GIT_RUNNER_ACK_WAIT_MS: '10' },
    });
    expect(await runner.exited()).toBe(2);
    expect(runner.output()).toMatch(/NATS_URL must be a nats:\/\/ or tls:\/\/ URL with a host/);
    expect(runner.output()).toMatch(/GIT_RUNNER_MAX_AGENTS must be a whole number from 1 to 64, got "many"/);
    expect(runner.output()).toMatch(/GIT_RUNNER_ACK_WAIT_MS must be a whole number from 1000 to 3600000 ms, got "10"/);
  });

  it('given a data directory in use by a live runner, when a second one starts on it, then it exits with 2', async () => {
    const first = await fixture.startRunner('runner-shared');
    const second = await startService('git-runner', {
      env: { ...fixture.env, GIT_RUNNER_ID: 'runner-intruder', GIT_RUNNER_DATA_DIR: fixture.dataDir('runner-shared') },
    });
    expect(await second.exited()).toBe(2);
    expect(second.output()).toContain(`belongs to the running process ${first.child.pid}`);
  });

  it('given a runner without a sandbox SIGKILLed mid-agent, when the ack wait passes, then another runner reports the agent lost; the restarted runner stops the orphan', async () => {
    const rig = await fixture.registerRig();
    const unconfined = { GIT_RUNNER_SANDBOX: 'none' };
    const doomed = await fixture.startRunner('runner-doomed', unconfined);
    const { convoyId, bead, pgid, record, worktree } = await hangingAgent(rig, 'runner-doomed');

    doomed.child.kill('SIGKILL');
    await doomed.exited();
    await fixture.startRunner('runner-survivor');

    const lost = await fixture.waitForEvent(convoyId, 'BeadAgentLost');
    expect(lost.data).toEqual({ beadId: bead.beadId, attempt: 1, agentId: 'agent-furiosa', reason: 'runner runner-doomed stopped heartbeating' });
    expect(lost.actor).toEqual({ kind: 'service', id: 'git-runner:runner-survivor' });
    // Its own process group outlived the runner: nothing but the restarted runner stops it.
    expect(group(pgid)).toBe('alive');

    const restarted = await fixture.startRunner('runner-doomed', unconfined);
    // SIGKILLed at once; gone once init has reaped them.
    await eventually('the orphaned agent group to be gone', async () => group(pgid) === 'ESRCH', { timeoutMs: 5_000 });
    expect(existsSync(record)).toBe(false);
    expect(existsSync(worktree)).toBe(false);
    expect(restarted.output()).toMatch(/stopped agent process group \d+ left running/);
  });

  it('given a runner SIGKILLed mid-agent, when it dies, then its sandboxed agent dies with it', async () => {
    const rig = await fixture.registerRig();
    const doomed = await fixture.startRunner('runner-sandboxed');
    const { worktree } = await hangingAgent(rig, 'runner-sandboxed');
    // Killed once the agent itself runs: bwrap's namespace init arms --die-with-parent only when
    // its set-up is over, and a runner killed within those milliseconds leaves the sandbox to its
    // watchdog (sandbox.watchdog.e2e.spec.ts), not to the kernel.
    const isNode = (pid: number) => (existsSync(`/proc/${pid}/comm`) ? readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'node' : false);
    const agentRuns = () => hostProcessesWith(`GASTOWN_WORKDIR=${worktree}\0`).some(isNode);
    await eventually('the sandboxed agent to run', async () => agentRuns());

    doomed.child.kill('SIGKILL');
    await doomed.exited();

    await eventually('the agent to die with its runner', async () => hostProcessesWith(`GASTOWN_WORKDIR=${worktree}\0`).length === 0, { timeoutMs: 5_000 });
  });

  it('given a bwrap that cannot start, when the runner starts, then it refuses all work, naming GIT_RUNNER_SANDBOX and what failed, and exits with 2', async () => {
    const runner = await startService('git-runner', {
      env: { ...fixture.env, GIT_RUNNER_ID: 'runner-unconfinable', GIT_RUNNER_DATA_DIR: fixture.dataDir('runner-unconfinable'), GIT_RUNNER_BWRAP_PATH: '/nonexistent' },
    });
    expect(await runner.exited()).toBe(2);
    expect(runner.output()).toContain('GIT_RUNNER_SANDBOX=bwrap: the sandbox cannot start (/nonexistent: spawn /nonexistent ENOENT)');
    expect(runner.output()).not.toContain('git-runner ready');
  });

  it('given GIT_RUNNER_SANDBOX=none, when the runner starts, then it says loudly that agents run unconfined', async () => {
    const runner = await fixture.startRunner('runner-unconfined', { GIT_RUNNER_SANDBOX: 'none' });
    expect(runner.output()).toContain('GIT_RUNNER_SANDBOX=none: AGENTS AND CHECKS RUN UNCONFINED');
  });

  it('given a rig whose origin is gone, when its agent job fails on every delivery, then the attempt ends FAILED with the git error and the job is parked as well', async () => {
    const rig = await fixture.registerRig();
    await fixture.startRunner('runner-giving-up', { GIT_RUNNER_JOB_MAX_DELIVERIES: '2', GIT_RUNNER_JOB_RETRY_MAX_MS: '100' });
    const { convoyId, beadIds } = await fixture.sling(rig, [{ title: 'Nowhere to push', body: 'demo:noop' }], { title: 'Give-up spec' });
    const bead = await fixture.dispatch(convoyId, beadIds[0]);
    rmSync(rig.origin.url, { recursive: true, force: true });
    await fixture.publish({ kind: 'agent', townId: fixture.townId, convoyId, rigId: rig.rigId, beadId: bead.beadId, attempt: 1 });

    const failed = await fixture.waitForEvent(convoyId, 'BeadAttemptFailed');
    expect(failed.data.attempt).toBe(1);
    expect(failed.data.reason).toMatch(/^the runner could not run the attempt: gave up after 2 deliveries: /);
    expect(failed.data.reason).toContain(`gitUrl ${rig.origin.url}: no repository there`);
    expect(failed.actor).toEqual({ kind: 'service', id: 'git-runner:runner-giving-up' });
    const letters = await readDeadLetters(fixture.bus, 'git-runner-agent', fixture.bus.names.jobStream);
    expect(letters.map((l) => [l.deliveryCount, l.reason.slice(0, 28)])).toEqual([[2, 'gave up after 2 deliveries: ']]);
    // The job is acknowledged once parked, which may follow the failure's event by a moment.
    await eventually('the parked job to be acknowledged', async () => (await fixture.pendingJobs()) === 0);
  });

  it('given a runner stopped with SIGTERM mid-agent, when its drain period runs out, then it interrupts the agent, reports it not charged, and exits 0', async () => {
    const rig = await fixture.registerRig();
    const runner = await fixture.startRunner('runner-leaving', { GIT_RUNNER_DRAIN_MS: '1000' });
    const { convoyId, bead, pgid, worktree } = await hangingAgent(rig, 'runner-leaving');

    runner.child.kill('SIGTERM');

    expect(await runner.exited()).toBe(0);
    const interrupted = await fixture.waitForEvent(convoyId, 'BeadAttemptInterrupted');
    expect(interrupted.data).toEqual({
      beadId: bead.beadId,
      attempt: 1,
      agentId: 'agent-furiosa',
      reason: 'runner runner-leaving was stopped and its agent did not finish within the drain period (GIT_RUNNER_DRAIN_MS=1000)',
    });
    expect(interrupted.actor).toEqual({ kind: 'service', id: 'git-runner:runner-leaving' });
    expect((await fixture.events(convoyId)).map((e) => e.type)).not.toContain('BeadAgentLost');
    expect(runner.output()).toContain('SIGTERM: claiming no new work and draining');
    expect(group(pgid)).toBe('ESRCH');
    expect(existsSync(worktree)).toBe(false);
    expect(await fixture.pendingJobs()).toBe(0);
  });

  it('given a draining runner, when a job is published, then it does not take it: another runner does', async () => {
    const rig = await fixture.registerRig();
    const draining = await fixture.startRunner('runner-draining', { GIT_RUNNER_DRAIN_MS: '60000' });
    const { convoyId: busy } = await hangingAgent(rig, 'runner-draining');
    draining.child.kill('SIGTERM');
    await eventually('the runner to drain', async () => draining.output().includes('claiming no new work'));

    const { convoyId, beadIds } = await fixture.sling(rig, [{ title: 'After the drain began', body: 'demo:noop' }], { title: 'Drain spec' });
    const next = await fixture.dispatch(convoyId, beadIds[0]);
    await fixture.publish({ kind: 'agent', townId: fixture.townId, convoyId, rigId: rig.rigId, beadId: next.beadId, attempt: 1 });
    await fixture.startRunner('runner-taking-over');

    const started = await fixture.waitForEvent(convoyId, 'BeadStarted');
    expect(started.actor).toEqual({ kind: 'service', id: 'git-runner:runner-taking-over' });
    // The hanging agent is still inside its drain period: the draining runner is not done yet.
    expect(draining.child.exitCode).toBeNull();
    // What the dispatcher broadcasts on a close: the agent stops, and the drain is done.
    fixture.bus.nc.publish(fixture.bus.names.cancelBroadcast, JSON.stringify({ townId: fixture.townId, convoyId: busy, reason: 'the drain spec is over' }));
    expect(await draining.exited()).toBe(0);
  });
});
