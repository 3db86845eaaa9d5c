import { randomUUID } from 'node:crypto';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { connectBus, deleteTopology, type Bus } from '@gastown/bus';
import { parseEgressAllowList } from '@gastown/contracts';
import { TEST_NATS_URL, testNamespace } from '@gastown/testing';
import { createOrigin, type OriginFixture } from '../git/testing/origin.fixture';
import { RepositoryOwners } from './repository.owners';
import { RepositoryPolicy, RepositoryRefusedError, type HostResolver, type RepositoryPolicySettings } from './repository.policy';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('the repository policy (real NATS KV, real repositories)', () => {
  let bus: Bus;
  let root: string;
  let dataDir: string;
  let origin: OriginFixture;
  const victim = randomUUID();
  const intruder = randomUUID();
  const dns = new Map<string, string[]>();
  const resolver: HostResolver = async (host) => dns.get(host) ?? [];

  function policy(settings: Partial<RepositoryPolicySettings> = {}): RepositoryPolicy {
    return new RepositoryPolicy(
      { localRoots: [root], localRootsByTown: {}, egressAllow: [], dataDir, ambientCredentials: false, ...settings },
      new RepositoryOwners(bus),
      resolver,
    );
  }

  async function refusalOf(attempt: Promise<unknown>): Promise<string> {
    const error = await attempt.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RepositoryRefusedError);
    return (error as RepositoryRefusedError).message;
  }

  beforeAll(async () => {
    bus = await connectBus({ servers: TEST_NATS_URL, namespace: testNamespace(), name: 'repository-policy-spec', logger: silent });
    origin = createOrigin();
    root = origin.root;
    dataDir = join(root, 'runner-data');
    mkdirSync(dataDir);
  });

  afterAll(async () => {
    await deleteTopology(bus).catch(() => undefined);
    await bus.jsm.streams.delete(`KV_${bus.names.repositoryOwnersBucket}`).catch(() => undefined);
    await bus.close();
    origin.remove();
  });

  it('given no local root, when a town names any local path, then it is refused and the variable is named', async () => {
    expect(await refusalOf(policy({ localRoots: [] }).check(victim, origin.url))).toBe(
      `gitUrl ${origin.url} is a local repository, and none is allowed for this town (the operator lists allowed roots in GASTOWN_LOCAL_REPO_ROOTS)`,
    );
  });

  it('given a root for one town only, then that town may use it and another may not', async () => {
    const scoped = policy({ localRoots: [], localRootsByTown: { [victim]: [root] } });
    await expect(scoped.check(victim, origin.url)).resolves.toMatchObject({ gitDir: origin.url });
    expect(await refusalOf(scoped.check(intruder, origin.url))).toMatch(/is a local repository, and none is allowed for this town/);
    const elsewhere = policy({ localRoots: [dataDir], localRootsByTown: { [victim]: [root] } });
    expect(await refusalOf(elsewhere.check(intruder, origin.url))).toBe(`gitUrl ${origin.url} is not under an allowed local root (${dataDir})`);
  });

  it("given the runner's data directory under an allowed root, then nothing in it is ever a repository", async () => {
    const planted = join(dataDir, 'gt', 'rigs', 'planted.git');
    mkdirSync(planted, { recursive: true });
    origin.git(['init', '--quiet', '--bare', planted], root);
    expect(await refusalOf(policy().check(intruder, planted))).toBe(
      `gitUrl ${planted} is inside the git-runner's data directory, which is never a rig's repository`,
    );
    expect(await refusalOf(policy().check(intruder, root))).toMatch(/inside the git-runner's data directory/);
  });

  describe('given a repository town A registered first', () => {
    let worktreeRepo: string;
    let linked: string;

    beforeAll(async () => {
      await policy().connect(victim, origin.url);
      worktreeRepo = join(root, 'checkout');
      origin.git(['clone', '--quiet', origin.url, worktreeRepo], root);
      linked = join(root, 'linked');
      origin.git(['worktree', 'add', '--quiet', '-b', 'side', linked], worktreeRepo);
      await policy().connect(victim, worktreeRepo);
    });

    it.each([
      ['its path', () => origin.url],
      ['a symlink to it', () => symlinked(origin.url)],
      ['a path inside it', () => join(origin.url, 'refs', 'heads')],
      ['its path without .git', () => origin.url.replace(/\.git$/, '')],
      ['its file:// URL', () => pathToFileURL(origin.url).href],
      ["a work tree's git directory", () => join(worktreeRepo, '.git', 'refs')],
      ['a linked worktree of it', () => linked],
    ])('when town B names it by %s, then it is refused as another town’s', async (_, path) => {
      const gitUrl = path();
      expect(await refusalOf(policy().check(intruder, gitUrl))).toBe(`gitUrl ${gitUrl} is registered by another town`);
    });

    it('when town A names it again, by any of those paths, then it is still its own', async () => {
      for (const gitUrl of [origin.url, symlinked(origin.url), pathToFileURL(origin.url).href, linked]) {
        await expect(policy().connect(victim, gitUrl)).resolves.toMatchObject({ connection: { args: [], env: {} }, transport: 'local' });
      }
    });
  });

  it('given two towns claiming a new repository at once, then exactly one owns it, every time', async () => {
    for (let i = 0; i < 10; i++) {
      const repo = join(root, `raced-${i}.git`);
      origin.git(['init', '--quiet', '--bare', repo], root);
      const towns = [randomUUID(), randomUUID()];
      const outcomes = await Promise.allSettled(towns.map((town) => policy().connect(town, repo)));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const loser = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect((loser.reason as Error).message).toBe(`gitUrl ${repo} is registered by another town`);
    }
  });

  describe('given network remotes', () => {
    beforeAll(() => {
      dns.set('git.example', ['140.82.121.3']);
      dns.set('rebinding.example', ['140.82.121.3', '10.0.0.5']);
      dns.set('metadata.example', ['169.254.169.254']);
    });

    it('when the host resolves to a public address, then git is pinned to that very address', async () => {
      await expect(policy().check(victim, 'https://git.example/acme/web.git')).resolves.toEqual({
        connection: { args: ['-c', 'http.curloptResolve=git.example:443:140.82.121.3'], env: {} },
        transport: 'https',
        insideAddress: false,
      });
      const ssh = await policy().check(victim, 'git@git.example:acme/web.git');
      expect(ssh.connection.env['GIT_SSH_COMMAND']).toMatch(/^ssh -F \/dev\/null -o BatchMode=yes .* -o HostName=140\.82\.121\.3 -o HostKeyAlias=git\.example$/);
      expect(ssh.connection.env['GIT_SSH_COMMAND']).toContain('-o IdentityAgent=none');
      // A rig's deploy key is added to the same command, aimed at the same address (see rig.credentials.ts).
      expect(ssh).toMatchObject({ transport: 'ssh', insideAddress: false, ssh: { hostName: '140.82.121.3', hostKeyAlias: 'git.example' } });
    });

    it('when any answer is an inside address, then the remote is refused naming it', async () => {
      expect(await refusalOf(policy().check(victim, 'https://rebinding.example/x.git'))).toBe(
        'gitUrl https://rebinding.example/x.git: rebinding.example resolves to 10.0.0.5, a private address, which the operator has not allowed (GASTOWN_EGRESS_ALLOW)',
      );
      expect(await refusalOf(policy().check(victim, 'ssh://metadata.example/x.git'))).toMatch(/169\.254\.169\.254, a link-local address/);
      expect(await refusalOf(policy().check(victim, 'https://nowhere.example/x.git'))).toBe(
        'gitUrl https://nowhere.example/x.git: the host nowhere.example does not resolve',
      );
    });

    it('when the operator allow-listed an inside host:port, then only that port is allowed', async () => {
      const allowed = policy({ egressAllow: parseEgressAllowList('127.0.0.1:8080') });
      await expect(allowed.check(victim, 'http://127.0.0.1:8080/x.git')).resolves.toEqual({
        connection: { args: [], env: {} },
        transport: 'http',
        insideAddress: true,
      });
      expect(await refusalOf(allowed.check(victim, 'http://127.0.0.1:8081/x.git'))).toMatch(/127\.0\.0\.1, a loopback address/);
    });

    it.each([['ext::sh -c touch% /tmp/pwned'], ['-oProxyCommand=touch /tmp/pwned'], ['git://git.example/x.git'], ['ftp://git.example/x.git'], ['file://other-host/x.git'], ['ssh://git.exa$(id)mple/x.git']])(
      'when the URL is %s, then it is refused as not usable',
      async (gitUrl) => {
        expect(await refusalOf(policy().check(victim, gitUrl))).toMatch(/is not a git URL the runner can use/);
      },
    );
  });

  /** A new name for the repository, under the allowed root as well, so only ownership can refuse it. */
  function symlinked(target: string): string {
    const link = join(root, `innocent-${randomUUID().slice(0, 8)}.git`);
    symlinkSync(target, link);
    return link;
  }
});
