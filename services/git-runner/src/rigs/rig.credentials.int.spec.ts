import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectBus, deleteTopology, type Bus } from '@gastown/bus';
import { openRigCredentials, parseEgressAllowList, sealRigCredentials, SecretKeyring, type RigCredentialsInput } from '@gastown/contracts';
import { startGitHttpServer, TEST_NATS_URL, TEST_SECRETS_KEY, testNamespace, type GitHttpServer } from '@gastown/testing';
import { GitCommandError, GitProcess } from '../git/git.process';
import { RigRepository } from '../git/rig.repository';
import { RigProbeResponder } from '../probe/rig.probe.responder';
import { RepositoryOwners } from './repository.owners';
import { RepositoryPolicy } from './repository.policy';
import { RigCredentialFiles } from './rig.credentials';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const TOKEN = 'ghp_TownAsOwnToken_9f3c1e';
const WRONG = 'ghp_SomeoneElsesGuess_0000';
const USER = 'x-access-token';

/**
 * A rig's own credentials against a real authenticated git server (`git http-backend` behind
 * basic auth on loopback): the runner sends them, and only them, for that rig, never where an
 * agent or `ps` could read them.
 */
describe('rig credentials (real git over authenticated HTTP, real NATS)', () => {
  let bus: Bus;
  let server: GitHttpServer;
  let url: string;
  let dataDir: string;
  const keyring = SecretKeyring.fromSettings(TEST_SECRETS_KEY);
  const dns = new Map<string, string[]>();

  function policy(): RepositoryPolicy {
    return new RepositoryPolicy(
      { localRoots: [], localRootsByTown: {}, egressAllow: parseEgressAllowList(`127.0.0.1:${server.port}`), dataDir, ambientCredentials: false },
      new RepositoryOwners(bus),
      async (host) => dns.get(host) ?? [],
    );
  }
  const files = () => new RigCredentialFiles(join(dataDir, 'credentials'), false);
  const responder = () => new RigProbeResponder(bus, policy(), join(dataDir, 'probe'), { secrets: keyring, files: files() });

  /** As the gateway sends it: sealed for the town's rig. */
  function probe(townId: string, rigId: string, credentials?: RigCredentialsInput, gitUrl = url, sealedFor = { townId, rigId }) {
    const sealed = credentials ? sealRigCredentials(keyring, sealedFor.townId, sealedFor.rigId, credentials) : undefined;
    return responder().answer({ townId, rigId, gitUrl, defaultBranch: 'main', ...(sealed ? { credentials: sealed } : {}) });
  }

  beforeAll(async () => {
    bus = await connectBus({ servers: TEST_NATS_URL, namespace: testNamespace(), name: 'rig-credentials-spec', logger: silent });
    server = await startGitHttpServer([{ username: USER, password: TOKEN }]);
    url = server.createRepository('web.git');
    dataDir = mkdtempSync(join(tmpdir(), 'gt-credentials-spec-'));
    execFileSync('mkdir', ['-p', join(dataDir, 'probe')]);
  });

  afterAll(async () => {
    await deleteTopology(bus).catch(() => undefined);
    await bus.close();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('registration probe', () => {
    it("given the rig's token, when probed, then the branch is found with that token as basic auth", async () => {
      server.requests.length = 0;
      expect(await probe(randomUUID(), randomUUID(), { kind: 'https', token: TOKEN })).toEqual({ ok: true });
      const sent = server.requests.map((r) => r.authorization);
      expect(sent).toContain(`Basic ${Buffer.from(`${USER}:${TOKEN}`).toString('base64')}`);
    });

    it('given a wrong token, then it is a clear authentication error on credentials that never holds either token', async () => {
      const answer = await probe(randomUUID(), randomUUID(), { kind: 'https', token: WRONG });
      expect(answer).toEqual({ ok: false, field: 'credentials', message: `authentication failed for ${url}: the remote refused the rig's credentials` });
      expect(JSON.stringify(answer)).not.toContain(WRONG);
    });

    it('given no token, then the remote asking for one is named and the runner lends none of its own', async () => {
      expect(await probe(randomUUID(), randomUUID())).toEqual({
        ok: false,
        field: 'gitUrl',
        message: `authentication failed for ${url}: the remote asks for credentials, and the rig has none (the runner never lends its own)`,
      });
    });

    it("given town A's sealed token offered by town B (or for another rig of A), then it does not open and nothing reaches the server", async () => {
      const [townA, rigA] = [randomUUID(), randomUUID()];
      server.requests.length = 0;
      const stolen = await probe(randomUUID(), randomUUID(), { kind: 'https', token: TOKEN }, url, { townId: townA, rigId: rigA });
      expect(stolen).toEqual({ ok: false, field: 'credentials', message: "credentials could not be opened with this runner's GASTOWN_SECRETS_KEY: ask the operator" });
      const otherRig = await probe(townA, randomUUID(), { kind: 'https', token: TOKEN }, url, { townId: townA, rigId: rigA });
      expect(otherRig).toMatchObject({ ok: false, field: 'credentials' });
      expect(server.requests).toEqual([]);
    });

    it('given a token for a plain http:// remote at a public address, or a deploy key for an https remote, then they are refused before any connection', async () => {
      dns.set('git.public.test', ['93.184.216.34']);
      expect(await probe(randomUUID(), randomUUID(), { kind: 'https', token: TOKEN }, 'http://git.public.test/web.git')).toEqual({
        ok: false,
        field: 'credentials',
        message: 'credentials.httpsToken would cross the network in clear: gitUrl http://git.public.test/web.git uses http:// to a public address; use https://',
      });
      const key = generateKey();
      expect(await probe(randomUUID(), randomUUID(), { kind: 'ssh', privateKey: key })).toMatchObject({
        ok: false,
        field: 'credentials',
        message: expect.stringContaining('credentials.sshKey is for an ssh remote'),
      });
    });
  });

  describe("a rig's repository", () => {
    it('given the token, when the runner clones and pushes, then the push lands and the token is in no file of the clone and in no argument', async () => {
      const [townId, rigId] = [randomUUID(), randomUUID()];
      const sealed = sealRigCredentials(keyring, townId, rigId, { kind: 'https', token: TOKEN });
      const checkedPolicy = policy();
      const credentialFiles = files();
      const argvs: string[][] = [];
      const repository = new RigRepository({
        rigId,
        gitUrl: url,
        defaultBranch: 'main',
        dir: join(dataDir, 'rigs', rigId),
        connection: async () => {
          const connection = await credentialFiles.connection(url, await checkedPolicy.connect(townId, url), openRigCredentials(keyring, townId, rigId, sealed));
          argvs.push([...connection.args]);
          return connection;
        },
      });
      const branch = await repository.ensureFeatureBranch('gastown/convoy-1');
      expect(branch.created).toBe(true);
      expect(server.git('web.git', 'rev-parse', 'refs/heads/gastown/convoy-1')).toBe(branch.tip);
      expect(JSON.stringify(argvs)).not.toContain(TOKEN);
      const basic = Buffer.from(`${USER}:${TOKEN}`).toString('base64');
      for (const file of filesUnder(join(dataDir, 'rigs', rigId))) {
        const text = readFileSync(file).toString('latin1');
        expect([file, text.includes(TOKEN) || text.includes(basic)]).toEqual([file, false]);
      }
    });

    it('given a wrong token, when the runner fetches, then the error names the failure without the token', async () => {
      const [townId, rigId] = [randomUUID(), randomUUID()];
      const sealed = sealRigCredentials(keyring, townId, rigId, { kind: 'https', token: WRONG });
      const checkedPolicy = policy();
      const credentialFiles = files();
      const git = new GitProcess({
        connection: async () => credentialFiles.connection(url, await checkedPolicy.connect(townId, url), openRigCredentials(keyring, townId, rigId, sealed)),
      });
      const error = await git.run(dataDir, ['ls-remote', '--', url]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GitCommandError);
      expect(String((error as Error).message)).not.toContain(WRONG);
    });
  });

  describe('a deploy key', () => {
    it('when a command runs, then the key is a 0600 file in a 0700 runner directory for its duration, ssh is told to use it alone, and it is gone after', async () => {
      const [townId, rigId] = [randomUUID(), randomUUID()];
      const key = generateKey();
      const hostKey = '127.0.0.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
      const sealed = sealRigCredentials(keyring, townId, rigId, { kind: 'ssh', privateKey: key, knownHosts: [hostKey] });
      const sshUrl = `ssh://git@127.0.0.1:${server.port}/web.git`;
      const credentialFiles = files();
      const seen: { command: string; keyMode: number; dirMode: number; key: string; knownHosts: string }[] = [];
      const git = new GitProcess({
        connection: async () => {
          const connection = await credentialFiles.connection(sshUrl, await policy().connect(townId, sshUrl), openRigCredentials(keyring, townId, rigId, sealed));
          const command = connection.env['GIT_SSH_COMMAND'];
          const keyFile = /IdentityFile=(\S+)/.exec(command)?.[1] ?? '';
          const knownHostsFile = /UserKnownHostsFile=(\S+)/.exec(command)?.[1] ?? '';
          seen.push({
            command,
            keyMode: statSync(keyFile).mode & 0o777,
            dirMode: statSync(join(keyFile, '..')).mode & 0o777,
            key: readFileSync(keyFile, 'utf8'),
            knownHosts: readFileSync(knownHostsFile, 'utf8'),
          });
          return connection;
        },
      });
      // The server speaks HTTP, not ssh: the command fails, which is all this needs.
      await expect(git.run(dataDir, ['ls-remote', '--', sshUrl])).rejects.toBeInstanceOf(GitCommandError);
      expect(seen).toHaveLength(1);
      const [{ command, keyMode, dirMode, key: written, knownHosts }] = seen;
      expect([keyMode, dirMode]).toEqual([0o600, 0o700]);
      expect(written).toBe(`${key.trim()}\n`);
      expect(knownHosts).toBe(`${hostKey}\n`);
      expect(command).toMatch(/^ssh -F \/dev\/null .* -o StrictHostKeyChecking=yes -o IdentityFile=\S+\/credentials\/ssh-\w+\/key -o IdentitiesOnly=yes -o UserKnownHostsFile=\S+ -o HostName=127\.0\.0\.1 -o HostKeyAlias=127\.0\.0\.1$/);
      expect(command).not.toContain('IdentityFile=none');
      expect(command).not.toContain(key.split('\n')[1]);
      expect(readdirSync(join(dataDir, 'credentials'))).toEqual([]);
    });
  });

  function generateKey(): string {
    const dir = mkdtempSync(join(tmpdir(), 'gt-key-'));
    try {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', join(dir, 'key')]);
      return readFileSync(join(dir, 'key'), 'utf8');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}
