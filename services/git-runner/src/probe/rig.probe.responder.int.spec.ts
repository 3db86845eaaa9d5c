import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CommandClient, connectBus, deleteTopology, type Bus } from '@gastown/bus';
import { parseEgressAllowList, SecretKeyring, type RigProbeReply } from '@gastown/contracts';
import { TEST_NATS_URL, TEST_SECRETS_KEY, testNamespace } from '@gastown/testing';
import { createOrigin, type OriginFixture } from '../git/testing/origin.fixture';
import { RepositoryOwners } from '../rigs/repository.owners';
import { RepositoryPolicy, type RepositoryPolicySettings } from '../rigs/repository.policy';
import { RigCredentialFiles } from '../rigs/rig.credentials';
import { RigProbeResponder } from './rig.probe.responder';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
}

/** A git "server" on loopback that only records what reaches it and answers as told. */
async function recordingServer(answer: (res: import('node:http').ServerResponse) => void): Promise<{ port: number; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    answer(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('the rig probe (real NATS, real git)', () => {
  let bus: Bus;
  let origin: OriginFixture;
  let dataDir: string;
  const dns = new Map<string, string[]>();

  function responder(settings: Partial<RepositoryPolicySettings> = {}): RigProbeResponder {
    const policy = new RepositoryPolicy(
      { localRoots: [origin.root], localRootsByTown: {}, egressAllow: [], dataDir, ambientCredentials: false, ...settings },
      new RepositoryOwners(bus),
      async (host) => dns.get(host) ?? [],
    );
    const files = new RigCredentialFiles(join(dataDir, 'credentials'), settings.ambientCredentials ?? false);
    return new RigProbeResponder(bus, policy, join(dataDir, 'probe'), { secrets: SecretKeyring.fromSettings(TEST_SECRETS_KEY), files });
  }

  const probe = (town: string, gitUrl: string, defaultBranch = 'main', settings: Partial<RepositoryPolicySettings> = {}) => {
    mkdirSync(join(dataDir, 'probe'), { recursive: true });
    return responder(settings).answer({ townId: town, gitUrl, defaultBranch });
  };

  beforeAll(async () => {
    bus = await connectBus({ servers: TEST_NATS_URL, namespace: testNamespace(), name: 'rig-probe-spec', logger: silent });
    origin = createOrigin();
    dataDir = join(origin.root, 'runner-data');
  });

  afterAll(async () => {
    await deleteTopology(bus).catch(() => undefined);
    await bus.jsm.streams.delete(`KV_${bus.names.repositoryOwnersBucket}`).catch(() => undefined);
    await bus.close();
    origin.remove();
  });

  it('given a reachable origin with its branch, when a town asks over NATS, then a runner answers ok and the town owns it', async () => {
    const running = responder();
    running.start();
    try {
      const [owner, other] = [randomUUID(), randomUUID()];
      const client = new CommandClient(bus);
      const ask = (townId: string) =>
        client.request<RigProbeReply>(bus.names.rigProbe, { townId, gitUrl: origin.url, defaultBranch: 'main' }, { timeoutMs: 20_000 });
      expect(await ask(owner)).toEqual({ ok: true });
      expect(await ask(other)).toEqual({ ok: false, field: 'gitUrl', message: `gitUrl ${origin.url} is registered by another town` });
      expect(await ask(owner)).toEqual({ ok: true });
    } finally {
      await running.stop();
    }
  });

  it('given an origin without the branch, then the branch is named and the repository stays unclaimed', async () => {
    const fresh = join(origin.root, 'fresh.git');
    origin.git(['clone', '--quiet', '--bare', origin.url, fresh], origin.root);
    expect(await probe(randomUUID(), fresh, 'trunk')).toEqual({ ok: false, field: 'defaultBranch', message: `gitUrl ${fresh} has no branch trunk` });
    expect(await probe(randomUUID(), fresh, '--upload-pack=touch')).toMatchObject({ ok: false, field: 'defaultBranch' });
    expect(await probe(randomUUID(), fresh)).toEqual({ ok: true });
  });

  it('given a host name that DNS answers with an allowed address, then git connects to the checked address, not to a new lookup', async () => {
    const server = await recordingServer((res) => res.writeHead(404).end());
    try {
      dns.set('pinned.test', ['127.0.0.1']);
      const answer = await probe(randomUUID(), `http://pinned.test:${server.port}/web.git`, 'main', {
        egressAllow: parseEgressAllowList(`127.0.0.1:${server.port}`),
      });
      expect(answer).toMatchObject({ ok: false, field: 'gitUrl', message: expect.stringContaining(`gitUrl http://pinned.test:${server.port}/web.git could not be read`) });
      // The system's resolver has never heard of pinned.test: only the pin can have brought git here.
      expect(server.seen.map((s) => s.headers.host)).toContain(`pinned.test:${server.port}`);
    } finally {
      await server.close();
    }
  });

  it('given a remote that redirects, then git does not follow it to the other address', async () => {
    const target = await recordingServer((res) => res.writeHead(200).end());
    const redirecting = await recordingServer((res) => res.writeHead(302, { location: `http://127.0.0.1:${target.port}/inside.git/info/refs?service=git-upload-pack` }).end());
    try {
      const answer = await probe(randomUUID(), `http://127.0.0.1:${redirecting.port}/web.git`, 'main', { egressAllow: parseEgressAllowList('127.0.0.1') });
      expect(answer).toMatchObject({ ok: false, field: 'gitUrl' });
      expect(redirecting.seen).toHaveLength(1);
      expect(target.seen).toEqual([]);
    } finally {
      await Promise.all([target.close(), redirecting.close()]);
    }
  });

  describe("given the runner's user has a credential helper, a .netrc and an ssh-agent", () => {
    const previous = { HOME: process.env['HOME'], SSH_AUTH_SOCK: process.env['SSH_AUTH_SOCK'] };
    let server: Awaited<ReturnType<typeof recordingServer>>;

    beforeAll(async () => {
      const home = join(origin.root, 'runner-home');
      mkdirSync(home, { recursive: true });
      writeFileSync(join(home, '.gitconfig'), '[credential]\n\thelper = "!f() { echo username=runner; echo password=ambient-secret; }; f"\n');
      writeFileSync(join(home, '.netrc'), 'machine 127.0.0.1 login runner password netrc-secret\n', { mode: 0o600 });
      process.env['HOME'] = home;
      process.env['SSH_AUTH_SOCK'] = join(home, 'agent.sock');
      server = await recordingServer((res) => res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end());
    });

    afterAll(async () => {
      await server.close();
      for (const [name, value] of Object.entries(previous)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });

    it('when a town probes a remote that asks for credentials, then none of them is offered and the probe fails cleanly', async () => {
      const answer = await probe(randomUUID(), `http://127.0.0.1:${server.port}/private.git`, 'main', { egressAllow: parseEgressAllowList('127.0.0.1') });
      expect(answer).toMatchObject({ ok: false, field: 'gitUrl' });
      expect(JSON.stringify(answer)).not.toMatch(/ambient-secret|netrc-secret/);
      expect(server.seen.length).toBeGreaterThan(0);
      expect(server.seen.filter((s) => s.headers.authorization !== undefined)).toEqual([]);
    });

    it('when the operator allows ambient credentials (single tenant), then the helper answers for the runner', async () => {
      server.seen.length = 0;
      await probe(randomUUID(), `http://127.0.0.1:${server.port}/private.git`, 'main', {
        egressAllow: parseEgressAllowList('127.0.0.1'),
        ambientCredentials: true,
      });
      const offered = server.seen.map((s) => s.headers.authorization).filter((a) => a !== undefined);
      expect(offered).toContain(`Basic ${Buffer.from('runner:ambient-secret').toString('base64')}`);
    });
  });
});
