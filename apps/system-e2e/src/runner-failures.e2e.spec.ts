import { rmSync } from 'node:fs';
import { eventually } from '@gastown/testing';
import { SystemHarness } from '@gastown/system-testing';

/** Sleeps through its first attempt (long enough to be stopped), finishes at once on any later one. */
const SLOW_FIRST = [
  'sh',
  '-c',
  'if grep -q "This is the first attempt" "$GASTOWN_PROMPT_FILE"; then sleep 600; fi; echo done > done.txt',
];

interface AttemptRead {
  number: number;
  outcome: string;
  reason: string | null;
}

interface BeadRead {
  status: string;
  attemptCount: number;
  attempts: AttemptRead[];
  events: { type: string; summary: string }[];
}

/**
 * What a town sees when a runner cannot do a job, and when a runner is stopped under a running
 * agent. One attempt per bead (CONVOY_MAX_ATTEMPTS=1) makes the second sharp: were the stop
 * charged to the bead, the bead would fail.
 */
describe('runner failures as the town sees them', () => {
  let system: SystemHarness;

  beforeAll(async () => {
    system = await SystemHarness.start({
      env: {
        CONVOY_MAX_ATTEMPTS: '1',
        GIT_RUNNER_JOB_MAX_DELIVERIES: '3',
        GIT_RUNNER_JOB_RETRY_MAX_MS: '200',
        GIT_RUNNER_DRAIN_MS: '1000',
        GASTOWN_AGENT_PROFILES_JSON: JSON.stringify({ 'slow-first': { command: SLOW_FIRST } }),
      },
    });
  });
  afterAll(async () => {
    await system?.close();
  });

  async function bead(convoyId: string, beadId: string): Promise<BeadRead> {
    const { convoy } = await system.gql<{ convoy: { beads: (BeadRead & { id: string })[] } }>(
      `query ($id: ID!) { convoy(id: $id) { beads { id status attemptCount attempts { number outcome reason } events { type summary } } } }`,
      { id: convoyId },
    );
    const found = convoy.beads.find((b) => b.id === beadId);
    if (!found) throw new Error(`no bead ${beadId}`);
    return found;
  }

  it('given a rig whose remote disappeared after it was registered, when its bead is worked, then the bead FAILED with the git error and the convoy FAILED', async () => {
    const origin = system.origin();
    const rigId = await system.registerRig('vanished', origin.bare);
    rmSync(origin.bare, { recursive: true, force: true });

    const slung = await system.slingBatch({ title: 'Nowhere to go', defaultRigId: rigId, tasks: [{ title: 'Lost cause' }] });
    const convoy = await system.until(slung.id, ['FAILED'], 60_000);

    const failed = await bead(slung.id, slung.beads[0].id);
    expect(failed.status).toBe('FAILED');
    expect(failed.attempts).toEqual([
      {
        number: 1,
        outcome: 'FAILED',
        reason: `the runner could not run the attempt: gave up after 3 deliveries: gitUrl ${origin.bare}: no repository there`,
      },
    ]);
    expect(convoy.failureReason).toBe('bead "Lost cause" failed and nothing else can progress');
    expect(failed.events.map((e) => e.summary)).toContainEqual(expect.stringContaining(`failed after 1 attempt: the runner could not run the attempt`));
  });

  it('given an agent running, when its git-runner gets SIGTERM, then the attempt shows INTERRUPTED, another runner takes the bead and the convoy lands without the stop charged', async () => {
    const rigId = await system.registerRig('rolling', system.origin().bare, { agent: { kind: 'PROFILE', profile: 'slow-first' } });
    const slung = await system.slingBatch({ title: 'Roll the runners', defaultRigId: rigId, tasks: [{ title: 'Long job' }] });
    const beadId = slung.beads[0].id;
    // Started means the agent runs: its runner is mid-run when the stop comes.
    await eventually('the agent to run', async () => ((await system.events(slung.id)).some((e) => e.type === 'BeadStarted') ? true : null), { timeoutMs: 60_000 });

    const leaving = system.process('git-runner-1');
    leaving.child.kill('SIGTERM');
    expect(await leaving.exited()).toBe(0);
    await system.startProcess('git-runner', 2);

    const landed = await system.until(slung.id, ['LANDED', 'FAILED'], 90_000);
    expect(landed.status).toBe('LANDED');
    const worked = await bead(slung.id, beadId);
    expect(worked.status).toBe('CLOSED');
    expect(worked.attempts.map((a) => [a.number, a.outcome])).toEqual([
      [1, 'INTERRUPTED'],
      [2, 'MERGED'],
    ]);
    expect(worked.attempts[0].reason).toBe(
      'runner git-runner-1 was stopped and its agent did not finish within the drain period (GIT_RUNNER_DRAIN_MS=1000)',
    );
    expect(worked.events.map((e) => e.summary)).toContainEqual(expect.stringMatching(/^Attempt 1 of bead "Long job" by \w+ was interrupted and is not counted/));
  });
});
