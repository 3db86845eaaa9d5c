import { generateTownToken } from '@gastown/contracts';
import { GatewayHarness, type TestTown } from '../gateway.fixtures';

const ATTEMPTS = `query ($id: ID!) { bead(id: $id) {
  status attemptCount branch
  attempts { number agentId agentName branch dispatchedAt startedAt endedAt outcome exitCode reason headCommit outputTail }
} }`;

interface AttemptView {
  number: number;
  agentId: string;
  agentName: string;
  branch: string;
  dispatchedAt: string;
  startedAt: string | null;
  endedAt: string | null;
  outcome: string;
  exitCode: number | null;
  reason: string | null;
  headCommit: string | null;
  outputTail: string | null;
}
interface BeadAttempts {
  status: string;
  attemptCount: number;
  branch: string | null;
  attempts: AttemptView[];
}

describe('the attempts of a bead', () => {
  let h: GatewayHarness;
  let town: TestTown;
  let rigId: string;

  beforeAll(async () => {
    h = await GatewayHarness.start();
    town = await h.createTown('attempt town');
    const { registerRig } = await h.ok<{ registerRig: { id: string } }>(
      town.token,
      `mutation ($input: RegisterRigInput!) { registerRig(input: $input) { id } }`,
      { input: { name: 'web', gitUrl: '/srv/git/web.git', defaultBranch: 'main' } },
    );
    rigId = registerRig.id;
  });
  afterAll(async () => {
    await h?.close();
  });

  const read = async (beadId: string) => (await h.ok<{ bead: BeadAttempts }>(town.token, ATTEMPTS, { id: beadId })).bead;

  it('given an attempt whose agent fails and a second one that review sends back, then each attempt shows its agent, times, exit code, output and reason', async () => {
    const { slingBatch } = await h.ok<{ slingBatch: { id: string; beads: { id: string }[] } }>(
      town.token,
      `mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { id beads { id } } }`,
      { input: { title: 'Login', defaultRigId: rigId, tasks: [{ title: 'Add login' }] } },
    );
    const convoyId = slingBatch.id;
    const beadId = slingBatch.beads[0].id;
    const leaked = generateTownToken();
    const nux = { id: `${rigId.slice(0, 8)}-nux`, name: 'Nux' };

    await h.convoyCommand(town.id, convoyId, { type: 'DispatchBead', data: { beadId, agent: nux } });
    await h.convoyCommand(town.id, convoyId, { type: 'MarkBeadStarted', data: { beadId, attempt: 1 } });
    const running = await read(beadId);
    expect(running.attempts).toEqual([
      expect.objectContaining({ number: 1, agentId: nux.id, agentName: 'Nux', outcome: 'RUNNING', endedAt: null, exitCode: null }),
    ]);

    await h.convoyCommand(town.id, convoyId, {
      type: 'FailBeadAttempt',
      data: {
        beadId,
        attempt: 1,
        reason: 'agent exited with code 1',
        agentResult: {
          exitCode: 1,
          signal: null,
          timedOut: false,
          durationMs: 4200,
          outputTail: `cloning https://bot:hunter2@git.example.com/web.git\nusing ${leaked}\nError: tests failed\n`,
        },
      },
    });
    await h.convoyCommand(town.id, convoyId, { type: 'DispatchBead', data: { beadId, agent: nux } });
    const second = await read(beadId);
    const headCommit = 'c'.repeat(40);
    await h.convoyCommand(town.id, convoyId, {
      type: 'SubmitBead',
      data: {
        beadId,
        attempt: 2,
        branch: second.branch,
        headCommit,
        agentResult: { exitCode: 0, signal: null, timedOut: false, durationMs: 900, outputTail: 'all green\n' },
      },
    });
    await h.convoyCommand(town.id, convoyId, { type: 'RequestRework', data: { beadId, attempt: 2, reason: 'check "lint" failed' } });

    const bead = await read(beadId);
    expect(bead).toMatchObject({ status: 'OPEN', attemptCount: 2 });
    const [first, reviewed] = bead.attempts;
    expect(first).toMatchObject({
      number: 1,
      agentName: 'Nux',
      outcome: 'FAILED',
      exitCode: 1,
      reason: 'agent exited with code 1',
      headCommit: null,
      outputTail: 'cloning https://***@git.example.com/web.git\nusing gt_***\nError: tests failed\n',
    });
    expect(Date.parse(first.dispatchedAt)).toBeLessThanOrEqual(Date.parse(first.startedAt ?? ''));
    expect(Date.parse(first.startedAt ?? '')).toBeLessThanOrEqual(Date.parse(first.endedAt ?? ''));
    expect(reviewed).toMatchObject({
      number: 2,
      branch: second.branch,
      outcome: 'REWORK',
      exitCode: 0,
      reason: 'check "lint" failed',
      headCommit,
      outputTail: 'all green\n',
      startedAt: null,
    });
    expect(reviewed.endedAt).not.toBeNull();
    expect(bead.attempts).toHaveLength(2);
  });

  it('given a bead of another town, then its attempts cannot be read', async () => {
    const other = await h.createTown('other attempt town');
    const { slingBatch } = await h.ok<{ slingBatch: { beads: { id: string }[] } }>(
      town.token,
      `mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { beads { id } } }`,
      { input: { title: 'Private', defaultRigId: rigId, tasks: [{ title: 'Secret work' }] } },
    );
    const response = await h.gql(other.token, ATTEMPTS, { id: slingBatch.beads[0].id });
    expect(response.errors?.map((e) => e.extensions.code)).toEqual(['NOT_FOUND']);
  });
});
