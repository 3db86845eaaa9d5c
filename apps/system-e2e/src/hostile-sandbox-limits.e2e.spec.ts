import { tmpdir } from 'node:os';
import { EventStore } from '@gastown/bus';
import { eventually, forkBomb } from '@gastown/testing';
import { SystemHarness, type OtherTown } from '@gastown/system-testing';

/** Low, so the abuse stays small on a machine other work shares; enough for the demo agent. */
const MEMORY_MB = 256;
const PIDS = 64;
/** A bound only: the runner stops the bomb as a fork storm within seconds, never at this timeout. */
const BOMB_TIMEOUT_MS = 45_000;

interface HostileBead {
  status: string;
  attemptCount: number;
  lastReason: string | null;
}

/**
 * A town whose agents abuse the runner they share with a neighbour: one fork-bombs, one allocates
 * without end. The operator's profiles run them (a multi-tenant install would never offer such
 * profiles, but a town's agent can always behave like this). The neighbour's convoy lands anyway,
 * and the hostile town reads which limit stopped its agents.
 */
describe('a hostile tenant whose agents exhaust processes and memory', () => {
  let system: SystemHarness;
  let mallory: OtherTown;

  beforeAll(async () => {
    system = await SystemHarness.start({
      env: {
        CONVOY_MAX_ATTEMPTS: '1',
        GASTOWN_LOCAL_REPO_ROOTS: tmpdir(),
        GASTOWN_AGENT_PROFILES_JSON: JSON.stringify({
          bomb: { command: forkBomb('gt-hostile-fork-bomb'), timeoutMs: BOMB_TIMEOUT_MS },
          hog: { command: [process.execPath, '-e', 'const held = []; for (;;) held.push(Buffer.alloc(1 << 20, 1));'] },
        }),
        // Required: this spec proves the limits, and must not pass on a runner without them.
        GIT_RUNNER_SANDBOX_CGROUPS: 'required',
        GIT_RUNNER_SANDBOX_MEMORY_MB: String(MEMORY_MB),
        GIT_RUNNER_SANDBOX_PIDS: String(PIDS),
        GIT_RUNNER_SANDBOX_CPUS: '0.5',
      },
    });
    mallory = await system.addTown('mallory');
  });
  afterAll(async () => {
    await system?.close();
  });

  async function slingHostile(name: string, profile: string): Promise<string> {
    const { registerRig } = await mallory.gql<{ registerRig: { id: string } }>(
      'mutation ($input: RegisterRigInput!) { registerRig(input: $input) { id } }',
      { input: { name, gitUrl: system.origin().bare, defaultBranch: 'main', config: { agent: { kind: 'PROFILE', profile } } } },
    );
    const { sling } = await mallory.gql<{ sling: { id: string } }>('mutation ($input: SlingInput!) { sling(input: $input) { id } }', {
      input: { title: `Abuse with ${profile}`, rigId: registerRig.id },
    });
    return sling.id;
  }

  const failedBead = (convoyId: string, reason: RegExp) =>
    eventually(
      `the hostile bead of ${convoyId} to fail with its limit`,
      async () => {
        const answer = await mallory.gql<{ convoy: { beads: HostileBead[] } }>('query ($id: ID!) { convoy(id: $id) { beads { status attemptCount lastReason } } }', {
          id: convoyId,
        });
        const bead = answer.convoy.beads[0];
        return bead && reason.test(bead.lastReason ?? '') ? bead : null;
      },
      { timeoutMs: BOMB_TIMEOUT_MS + 90_000, intervalMs: 250 },
    );

  it("given town B's fork bomb and memory hog running, when town A slings a convoy, then A's convoy lands and B's attempts fail naming the limit that stopped them", async () => {
    const bomb = await slingHostile('bomb', 'bomb');
    const hog = await slingHostile('hog', 'hog');
    const started = async (convoyId: string) =>
      (await new EventStore(system.bus).readSubject(system.bus.names.convoyEvents(mallory.townId, convoyId))).flatMap((c) => c.events).some((e) => e.type === 'BeadStarted');
    await eventually('the fork bomb to start', async () => ((await started(bomb)) ? true : null), { timeoutMs: 60_000 });

    const rigId = await system.registerRig('web', system.origin().bare);
    const mine = await system.slingBatch({ title: 'Neighbour', defaultRigId: rigId, tasks: [{ title: 'Schema' }, { title: 'API', dependsOn: [0] }] });
    const landed = await system.until(mine.id, ['LANDED', 'FAILED'], BOMB_TIMEOUT_MS + 60_000);
    expect(landed.status).toBe('LANDED');
    expect(landed.beads.map((b) => b.status)).toEqual(['CLOSED', 'CLOSED']);

    const memory = await failedBead(hog, new RegExp(`memory limit ${MEMORY_MB} MB reached`));
    expect(memory.lastReason).toMatch(/^the agent's sandbox stopped it: memory limit 256 MB reached \(the kernel killed \d+ process(es)? of the run\); agent /);
    const processes = await failedBead(bomb, new RegExp(`process limit ${PIDS} reached`));
    expect(processes.lastReason).toMatch(/^the agent's sandbox stopped it: process limit 64 reached: \d+ forks refused, stopped as a fork storm; agent (exited with code|was killed by)/);

    // The agent's own failure, under the bead's retry rules (its one attempt here spent), never a lost agent.
    for (const convoyId of [bomb, hog]) {
      const types = (await new EventStore(system.bus).readSubject(system.bus.names.convoyEvents(mallory.townId, convoyId))).flatMap((c) => c.events).map((e) => e.type);
      expect(types).toContain('BeadFailed');
      expect(types).not.toContain('BeadAgentLost');
    }
  }, 300_000);
});
