import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunnerFixture, type TestRig } from '../testing/runner.fixture';

/**
 * The runner is the last line: whatever a rig's registration says (recorded before the operator
 * changed the policy, or by a convoy service with another catalogue), an agent runs only as this
 * runner's own operator settings allow.
 */
describe('the polecat under the operator agent policy', () => {
  let fixture: RunnerFixture;
  const outside = mkdtempSync(join(tmpdir(), 'gt-policy-'));
  const marker = join(outside, 'marker');

  beforeAll(async () => {
    // The convoy service of a single-tenant install, with a profile this runner does not have.
    fixture = await RunnerFixture.start({
      GASTOWN_ALLOW_TOWN_AGENT_COMMANDS: 'true',
      GASTOWN_AGENT_PROFILES_JSON: JSON.stringify({ toucher: { command: ['touch', marker] } }),
    });
    // The runner of a multi-tenant install, with a short agent cap.
    await fixture.startRunner('runner-a', { GASTOWN_ALLOW_TOWN_AGENT_COMMANDS: 'false', GASTOWN_AGENT_PROFILES_JSON: '', GIT_RUNNER_MAX_AGENT_TIMEOUT_MS: '2000' });
  });

  afterAll(async () => {
    await fixture?.close();
    rmSync(outside, { recursive: true, force: true });
  });

  async function attemptOn(rig: TestRig, body = 'Anything.') {
    const { convoyId, beadIds } = await fixture.sling(rig, [{ title: 'Do it', body }], { title: 'Policy spec' });
    const bead = await fixture.dispatch(convoyId, beadIds[0]);
    await fixture.publish({ kind: 'agent', townId: fixture.townId, convoyId, rigId: rig.rigId, beadId: bead.beadId, attempt: bead.attempt });
    return (await fixture.waitForEvent(convoyId, 'BeadAttemptFailed')).data;
  }

  it('given a rig registered with its own command, when its agent job comes to a runner that does not allow town commands, then the attempt fails saying so and nothing runs', async () => {
    const rig = await fixture.registerRig({ agent: { kind: 'command', command: ['touch', marker] } });

    const failed = await attemptOn(rig);

    expect(failed.reason).toBe(
      "the agent may not run: the rig runs its own command, which this installation does not allow (GASTOWN_ALLOW_TOWN_AGENT_COMMANDS); register it again with one of the operator's agent profiles",
    );
    expect(existsSync(marker)).toBe(false);
  });

  it('given a rig naming a profile this runner does not have, when its job comes, then the attempt fails naming the profiles it knows and nothing runs', async () => {
    const rig = await fixture.registerRig({ agent: { kind: 'profile', profile: 'toucher' } });

    const failed = await attemptOn(rig);

    expect(failed.reason).toBe('the agent may not run: the rig names the agent profile "toucher", which this runner does not know (it knows demo)');
    expect(existsSync(marker)).toBe(false);
  });

  it('given a rig asking for 10 minutes per agent, when its agent hangs, then the operator cap of 2 s stops it', async () => {
    const rig = await fixture.registerRig({ agentTimeoutMs: 600_000 });

    const failed = await attemptOn(rig, 'demo:hang');

    expect(failed.reason).toMatch(/^agent timed out after 2s/);
    expect(failed.agentResult).toMatchObject({ timedOut: true });
  });
});
