import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommandClient, readDeadLetters, type DeadLetter } from '@gastown/bus';
import { convoyIdFor, sealRigCredentials, SecretKeyring, type CommandReply, type RigCredentialsInput, type RigProbeReply } from '@gastown/contracts';
import { eventually, generateSshKeyPair, startSshGitServer, TEST_SECRETS_KEY, type ServiceProcess, type SshGitServer } from '@gastown/testing';
import { consumerName } from '../jobs/job.consumer';
import { RunnerFixture } from '../testing/runner.fixture';

const RUNNER = 'runner-ssh';

/**
 * A rig's ssh deploy key against a real sshd on loopback, used by a real git-runner process: the
 * probe that registerRig and setRigCredentials wait for, and the clone and push of a job. sshd's
 * own log says which key was offered, so a pass cannot come from any key but the rig's.
 */
describe("a rig's ssh deploy key (real sshd, real git-runner process, real NATS)", () => {
  let fixture: RunnerFixture;
  let runner: ServiceProcess;
  let sshd: SshGitServer;
  let client: CommandClient;
  const keyring = SecretKeyring.fromSettings(TEST_SECRETS_KEY);
  const deployKey = generateSshKeyPair();
  const strangerKey = generateSshKeyPair();
  /** A host key that is not the server's: what a man in the middle would present. */
  const impostorHostKey = generateSshKeyPair();
  /** Every probe answer and dead letter, searched for the keys at the end. */
  const seen: unknown[] = [];

  const trusted = () => [`127.0.0.1 ${sshd.hostKey}`];
  /** A URL as the town reads it in a message: never with its user info, whatever the scheme. */
  const shown = (url: string) => url.replace(`//${sshd.user}@`, '//***@');

  beforeAll(async () => {
    sshd = await startSshGitServer({ authorizedKeys: [deployKey.publicKey] });
    fixture = await RunnerFixture.start();
    client = new CommandClient(fixture.bus);
    runner = await fixture.startRunner(RUNNER, {
      GASTOWN_EGRESS_ALLOW: `127.0.0.1:${sshd.port}`,
      // A refused key fails every delivery alike: the first failure is the answer.
      GIT_RUNNER_JOB_MAX_DELIVERIES: '1',
    });
  });

  afterAll(async () => {
    try {
      await fixture?.close();
    } finally {
      await sshd?.close();
    }
  });

  /** As the gateway asks before registerRig or setRigCredentials: the key sealed for the town's rig. */
  async function probe(gitUrl: string, credentials: RigCredentialsInput): Promise<RigProbeReply> {
    const rigId = randomUUID();
    const request = { townId: fixture.townId, rigId, gitUrl, defaultBranch: 'main', credentials: sealRigCredentials(keyring, fixture.townId, rigId, credentials) };
    const reply = await client.request<RigProbeReply>(fixture.bus.names.rigProbe, request, { timeoutMs: 30_000 });
    seen.push(reply);
    return reply;
  }

  /** A rig whose key is recorded as the gateway records it: sealed, in the town's RegisterRig. */
  async function registerRig(gitUrl: string, credentials: RigCredentialsInput): Promise<string> {
    const rigId = randomUUID();
    const reply = await client.request<CommandReply>(fixture.bus.names.commands.town, {
      type: 'RegisterRig',
      commandId: randomUUID(),
      townId: fixture.townId,
      actor: { kind: 'user', id: 'ssh-spec' },
      data: { rigId, name: `ssh-${rigId.slice(0, 8)}`, gitUrl, defaultBranch: 'main', config: {}, credentials: sealRigCredentials(keyring, fixture.townId, rigId, credentials) },
    });
    if (!reply.ok) throw new Error(`RegisterRig refused: ${reply.error.code} ${reply.error.message}`);
    return rigId;
  }

  /** A review-then-land convoy on the rig, and its feature branch job as the dispatcher publishes it. */
  async function featureBranchJob(rigId: string): Promise<string> {
    const commandId = randomUUID();
    const convoyId = convoyIdFor(fixture.townId, commandId);
    await fixture.command('SlingBatch', convoyId, { title: 'Deploy key spec', defaultRigId: rigId, mergeMode: 'REVIEW_THEN_LAND', tasks: [{ title: 'Anything' }] }, commandId);
    const branch = await fixture.featureBranch(convoyId, rigId);
    await fixture.publish({ kind: 'branch', townId: fixture.townId, convoyId, rigId, branch });
    return branch;
  }

  /** The runner's give-up on the rig's branch job, as the operator reads it in the dead letters. */
  async function givenUp(rigId: string): Promise<DeadLetter> {
    const subject = fixture.bus.names.job('branch', rigId);
    const letter = await eventually(`the branch job of rig ${rigId} to be given up`, async () =>
      (await readDeadLetters(fixture.bus, consumerName('branch'), fixture.bus.names.jobStream)).find((l) => l.subject === subject),
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    seen.push(letter);
    return letter;
  }

  const tip = (repository: string, branch: string): string | undefined => {
    try {
      return sshd.git(repository, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`);
    } catch {
      return undefined;
    }
  };

  /** What sshd logs from now on, to tell one test's connections from another's. */
  function sshdLogFromNow(): () => string {
    const start = sshd.output().length;
    return () => sshd.output().slice(start);
  }

  const accepted = (fingerprint: string) => new RegExp(`Accepted publickey for ${sshd.user} from 127\\.0\\.0\\.1 port \\d+ ssh2: ED25519 ${escape(fingerprint)}`);
  const refused = (fingerprint: string) => new RegExp(`Failed publickey for ${sshd.user} from 127\\.0\\.0\\.1 port \\d+ ssh2: ED25519 ${escape(fingerprint)}`);

  it('given the deploy key the host authorized and its host key, when the runner probes the remote as setRigCredentials does, then it answers ok, and sshd saw that key and no other', async () => {
    const url = sshd.createRepository('probe.git');
    const log = sshdLogFromNow();

    expect(await probe(url, { kind: 'ssh', privateKey: deployKey.privateKey, knownHosts: trusted() })).toEqual({ ok: true });

    expect(log()).toMatch(accepted(deployKey.fingerprint));
    expect(log()).not.toMatch(/Failed publickey/);
  });

  it("when the rig's feature branch job runs, then the runner clones over ssh with the deploy key and the branch it pushes is on the host's repository", async () => {
    const url = sshd.createRepository('web.git');
    const main = tip('web.git', 'main');
    const rigId = await registerRig(url, { kind: 'ssh', privateKey: deployKey.privateKey, knownHosts: trusted() });
    const log = sshdLogFromNow();

    const branch = await featureBranchJob(rigId);

    // A fresh runner's first job took 5 to 7 s here (later ones under 2 s): room for a slower machine.
    expect(await eventually(`${branch} on the host`, async () => tip('web.git', branch), { timeoutMs: 30_000 })).toBe(main);
    expect(log()).toMatch(accepted(deployKey.fingerprint));
    expect(log()).not.toMatch(/Failed publickey/);
  });

  it('given a key the host does not authorize, when probed, then it is refused naming the credentials, and sshd saw only that key refused', async () => {
    const url = sshd.createRepository('stranger.git');
    const log = sshdLogFromNow();

    expect(await probe(url, { kind: 'ssh', privateKey: strangerKey.privateKey, knownHosts: trusted() })).toEqual({
      ok: false,
      field: 'credentials',
      message: `authentication failed for ${shown(url)}: the remote refused the rig's credentials`,
    });

    expect(log()).toMatch(refused(strangerKey.fingerprint));
    expect(log()).not.toMatch(/Accepted publickey/);
  });

  it("given a registered rig whose deploy key the host then revoked, when its job runs, then the runner gives up naming ssh's refusal and the host's repository is untouched", async () => {
    const url = sshd.createRepository('revoked.git');
    const rigId = await registerRig(url, { kind: 'ssh', privateKey: deployKey.privateKey, knownHosts: trusted() });
    const refs = sshd.git('revoked.git', 'for-each-ref');
    const log = sshdLogFromNow();
    sshd.authorize([]);
    try {
      await featureBranchJob(rigId);
      const letter = await givenUp(rigId);
      expect(letter.reason).toMatch(new RegExp(`^gave up after 1 deliveries: git fetch failed \\(exit code 128\\): ${sshd.user}@127\\.0\\.0\\.1: Permission denied \\(publickey\\)\\.`));
    } finally {
      sshd.authorize([deployKey.publicKey]);
    }
    expect(sshd.git('revoked.git', 'for-each-ref')).toBe(refs);
    expect(log()).toMatch(refused(deployKey.fingerprint));
    expect(log()).not.toMatch(/Accepted publickey/);
  });

  it('given known_hosts that name another key for the host, or none, then the probe refuses the host before any key is offered', async () => {
    const url = sshd.createRepository('impostor.git');
    const log = sshdLogFromNow();
    const untrusted = {
      ok: false,
      field: 'credentials',
      message: `the host key of ${shown(url)} is not trusted: give its known_hosts lines in credentials.sshKey.knownHosts (\`ssh-keyscan <host>\`), or ask the operator to trust it`,
    };

    expect(await probe(url, { kind: 'ssh', privateKey: deployKey.privateKey, knownHosts: [`127.0.0.1 ${impostorHostKey.publicKey}`] })).toEqual(untrusted);
    expect(await probe(url, { kind: 'ssh', privateKey: deployKey.privateKey })).toEqual(untrusted);

    expect(log()).toMatch(/Connection from 127\.0\.0\.1/);
    expect(log()).not.toMatch(/publickey/);
  });

  it('given a registered rig whose known_hosts name another key, when its job runs, then the runner gives up on host key verification and pushes nothing', async () => {
    const url = sshd.createRepository('swapped.git');
    const rigId = await registerRig(url, { kind: 'ssh', privateKey: deployKey.privateKey, knownHosts: [`127.0.0.1 ${impostorHostKey.publicKey}`] });
    const refs = sshd.git('swapped.git', 'for-each-ref');
    const log = sshdLogFromNow();

    await featureBranchJob(rigId);

    // ssh's warning comes first and a dead letter keeps the start of a reason: the banner is what the operator reads.
    expect((await givenUp(rigId)).reason).toMatch(/^gave up after 1 deliveries: git fetch failed \(exit code 128\): @+\s+@\s+WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!/);
    expect(sshd.git('swapped.git', 'for-each-ref')).toBe(refs);
    expect(log()).not.toMatch(/publickey/);
  });

  it("then no key file is left in the runner's credentials directory, and no key is in its log, any probe answer, any dead letter or any of its files", async () => {
    expect(readdirSync(join(fixture.runnerRoot(RUNNER), 'credentials'))).toEqual([]);
    // The first lines of every ed25519 key file are the same format header; the rest is the key.
    const common = new Set(keyLines(deployKey.privateKey).filter((line) => keyLines(strangerKey.privateKey).includes(line)));
    const secretLines = [deployKey, strangerKey].flatMap((key) => keyLines(key.privateKey)).filter((line) => !common.has(line));
    expect(secretLines.length).toBeGreaterThan(4);
    const places: Record<string, string> = { 'the runner log': runner.output(), 'the answers and dead letters': JSON.stringify(seen) };
    for (const file of filesUnder(fixture.dataDir(RUNNER))) places[file] = readFileSync(file).toString('latin1');
    // Not a search of nothing: the log holds ssh's refusals, and the files the clones of the rigs.
    expect(runner.output()).toContain('Permission denied (publickey)');
    expect(Object.keys(places).filter((place) => place.includes('/clone/')).length).toBeGreaterThan(0);
    const leaks = Object.entries(places).flatMap(([place, text]) =>
      secretLines.filter((line) => text.includes(line)).map((line) => `${place}: ${line.slice(0, 8)}…`),
    );
    expect(leaks).toEqual([]);
  });
});

/** The base64 lines of an OpenSSH private key: any one of them in a log would be a leak. */
function keyLines(privateKey: string): string[] {
  return privateKey.split('\n').filter((line) => line.length > 0 && !line.startsWith('-----'));
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}
