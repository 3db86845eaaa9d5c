import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort, startHttpReceiver, type HttpReceiver } from '@gastown/testing';
import { SystemHarness, type GqlError, type OriginRepository, type OtherTown } from '@gastown/system-testing';

const REGISTER = 'mutation ($input: RegisterRigInput!) { registerRig(input: $input) { id } }';
const ADD_WEBHOOK = 'mutation ($input: AddWebhookInput!) { addWebhook(input: $input) { webhook { id } } }';

interface Refusal {
  code: string | undefined;
  message: string;
  path: (string | number)[] | undefined;
}

/**
 * A town is a hostile tenant: it must not reach another town's repository through the runner's
 * disk, nor the inside of the host's networks through git or webhooks, and whatever it registers
 * must work at registration, not fail later in a job.
 */
describe('hostile repositories', () => {
  let system: SystemHarness;
  let intruder: OtherTown;
  let victimOrigin: OriginRepository;
  let victimMain: string;
  let scratch: string;
  let outside: string;
  let receiver: HttpReceiver;
  let closedPort: number;
  let names = 0;

  async function register(town: Pick<OtherTown, 'gqlRaw'>, gitUrl: string, defaultBranch = 'main', commandId?: string) {
    return town.gqlRaw<{ registerRig: { id: string } }>(REGISTER, {
      input: { name: `rig-${++names}`, gitUrl, defaultBranch, ...(commandId ? { commandId } : {}) },
    });
  }

  async function refusal(town: Pick<OtherTown, 'gqlRaw'>, gitUrl: string, defaultBranch = 'main'): Promise<Refusal> {
    const answer = await register(town, gitUrl, defaultBranch);
    expect(answer.data?.registerRig ?? null).toBeNull();
    const [error] = answer.errors ?? ([] as GqlError[]);
    return { code: error?.extensions?.code, message: error?.message ?? '', path: error?.extensions?.errors?.[0]?.path };
  }

  async function rigsOf(town: Pick<OtherTown, 'gqlRaw'>): Promise<string[]> {
    const answer = await town.gqlRaw<{ rigs: { gitUrl: string }[] }>('{ rigs { gitUrl } }');
    return (answer.data?.rigs ?? []).map((rig) => rig.gitUrl);
  }

  beforeAll(async () => {
    closedPort = await freePort();
    receiver = await startHttpReceiver(200);
    // Loopback only for the one port the "unreachable remote" case needs: the receiver's port is not allowed.
    system = await SystemHarness.start({ env: { GASTOWN_EGRESS_ALLOW: `127.0.0.1:${closedPort}` } });
    intruder = await system.addTown('intruder');
    victimOrigin = system.origin();
    await system.registerRig('web', victimOrigin.bare);
    victimMain = victimOrigin.read('rev-parse', 'origin/main');
    scratch = mkdtempSync(join(tmpdir(), 'gt-hostile-'));
    // A repository outside every allowed root (the harness allows the temporary directory only).
    outside = mkdtempSync(join(homedir(), '.gt-outside-'));
    execFileSync('git', ['init', '-q', '--bare', join(outside, 'elsewhere.git')]);
  });

  afterAll(async () => {
    await receiver?.close();
    await system?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    if (outside) rmSync(outside, { recursive: true, force: true });
  });

  describe("given town A's origin, when town B registers it", () => {
    it('by its path, then it is refused as another town\'s and nothing is registered', async () => {
      expect(await refusal(intruder, victimOrigin.bare)).toEqual({
        code: 'BAD_USER_INPUT',
        message: `gitUrl ${victimOrigin.bare} is registered by another town`,
        path: ['gitUrl'],
      });
    });

    it('through a symlink to it, then it is the same repository and refused', async () => {
      const link = join(scratch, 'looks-new.git');
      symlinkSync(victimOrigin.bare, link);
      expect(await refusal(intruder, link)).toMatchObject({ code: 'BAD_USER_INPUT', message: `gitUrl ${link} is registered by another town` });
    });

    it('by a path inside it, or without its .git suffix, then it is the same repository and refused', async () => {
      for (const path of [join(victimOrigin.bare, 'refs'), victimOrigin.bare.replace(/\.git$/, '')]) {
        expect(await refusal(intruder, path)).toMatchObject({ code: 'BAD_USER_INPUT', message: `gitUrl ${path} is registered by another town` });
      }
    });

    it('as a file:// URL, then it is refused', async () => {
      const url = pathToFileURL(victimOrigin.bare).href;
      expect(await refusal(intruder, url)).toMatchObject({ code: 'BAD_USER_INPUT', message: `gitUrl ${url} is registered by another town` });
    });

    it("then A's main never moved and B has no rig", async () => {
      expect(victimOrigin.read('rev-parse', 'origin/main')).toBe(victimMain);
      expect(await rigsOf(intruder)).toEqual([]);
    });
  });

  it('given a repository outside the allowed roots, when registered, then it is refused naming the roots', async () => {
    const path = join(outside, 'elsewhere.git');
    const refused = await refusal(intruder, path);
    expect(refused).toMatchObject({ code: 'BAD_USER_INPUT', path: ['gitUrl'] });
    expect(refused.message).toBe(`gitUrl ${path} is not under an allowed local root (${tmpdir()})`);
  });

  it("given a repository inside the git-runner's data directory, when registered, then it is refused", async () => {
    const planted = join(system.dataDir, 'git-runner-1', 'planted.git');
    mkdirSync(planted, { recursive: true });
    execFileSync('git', ['init', '-q', '--bare', planted]);
    expect(await refusal(intruder, planted)).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: `gitUrl ${planted} is inside the git-runner's data directory, which is never a rig's repository`,
    });
    expect(await refusal(intruder, join(system.dataDir, 'git-runner-1'))).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it.each([
    ['http://169.254.169.254/x.git', '169.254.169.254 resolves to 169.254.169.254, a link-local address'],
    ['http://127.1:4222/', '127.0.0.1 resolves to 127.0.0.1, a loopback address'],
    ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1 resolves to ::ffff:7f00:1, a loopback address'],
    ['ssh://0x7f.1/x.git', '0x7f.1 resolves to 127.0.0.1, a loopback address'],
    ['git@2130706433:x.git', '2130706433 resolves to 127.0.0.1, a loopback address'],
    ['https://localhost/x.git', 'localhost resolves to'],
    ['http://10.0.0.1/x.git', '10.0.0.1 resolves to 10.0.0.1, a private address'],
  ])('given the inside address %s as gitUrl, when registered, then it is refused naming the address and its kind', async (gitUrl, why) => {
    const refused = await refusal(intruder, gitUrl);
    expect(refused).toMatchObject({ code: 'BAD_USER_INPUT', path: ['gitUrl'] });
    expect(refused.message).toContain(`gitUrl ${gitUrl}: ${why}`);
    expect(refused.message).toContain('GASTOWN_EGRESS_ALLOW');
  });

  it('given a remote that does not answer, when registered, then it is refused at once and nothing is registered', async () => {
    const before = await rigsOf(system);
    const unreachable = `http://127.0.0.1:${closedPort}/web.git`;
    const refused = await refusal(system, unreachable);
    expect(refused).toMatchObject({ code: 'BAD_USER_INPUT', path: ['gitUrl'] });
    expect(refused.message).toMatch(new RegExp(`^gitUrl ${unreachable} could not be read: .*(Failed to connect|Connection refused)`));
    const missing = join(scratch, 'never-created.git');
    expect(await refusal(system, missing)).toMatchObject({ code: 'BAD_USER_INPUT', message: `gitUrl ${missing}: no repository there` });
    expect(await rigsOf(system)).toEqual(before);
  });

  it('given a remote without the default branch, when registered, then it is refused naming the branch and nothing is registered', async () => {
    const before = await rigsOf(system);
    const origin = system.origin();
    expect(await refusal(system, origin.bare, 'trunk')).toEqual({
      code: 'BAD_USER_INPUT',
      message: `gitUrl ${origin.bare} has no branch trunk`,
      path: ['defaultBranch'],
    });
    expect(await rigsOf(system)).toEqual(before);

    // Still free: the failed probe claimed nothing, and the owner may register it again (a retry is fine).
    const commandId = randomUUID();
    const first = await register(system, origin.bare, 'main', commandId);
    const retried = await register(system, origin.bare, 'main', commandId);
    expect(first.errors).toBeUndefined();
    expect(retried.data?.registerRig.id).toBe(first.data?.registerRig.id);
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 resolves to 169.254.169.254, a link-local address'],
    ['http://127.1:4222/hook', '127.0.0.1 resolves to 127.0.0.1, a loopback address'],
    ['http://[::ffff:169.254.169.254]/hook', '::ffff:a9fe:a9fe resolves to ::ffff:a9fe:a9fe, a link-local address'],
    ['http://0x7f.1/hook', '127.0.0.1 resolves to 127.0.0.1, a loopback address'],
    ['http://10.0.0.1/hook', '10.0.0.1 resolves to 10.0.0.1, a private address'],
  ])('given the inside address %s as a webhook url, when added, then it is refused naming url and the address, and nothing is registered', async (url, why) => {
    const answer = await intruder.gqlRaw<{ addWebhook: { webhook: { id: string } } }>(ADD_WEBHOOK, { input: { url, events: ['CONVOY_LANDED'] } });
    expect(answer.data?.addWebhook ?? null).toBeNull();
    const [error] = answer.errors ?? ([] as GqlError[]);
    expect(error?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', errors: [{ path: ['url'] }] });
    expect(error?.message).toBe(`url: ${why}, which the operator has not allowed (GASTOWN_EGRESS_ALLOW)`);
    expect((await intruder.gql<{ webhooks: unknown[] }>('{ webhooks { id } }')).webhooks).toEqual([]);
  });

  it('given a receiver on a loopback port the operator did not allow, when added as a webhook and a convoy lands, then it is refused and the receiver never hears a thing', async () => {
    const answer = await system.gqlRaw<{ addWebhook: { webhook: { id: string } } }>(ADD_WEBHOOK, { input: { url: receiver.url, events: ['CONVOY_LANDED'] } });
    expect(answer.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringMatching(/^url: 127\.0\.0\.1 resolves to 127\.0\.0\.1, a loopback address/) });

    const rigId = await system.registerRig('hooked', system.origin().bare);
    const created = await system.slingBatch({ title: 'Ring the inside', defaultRigId: rigId, tasks: [{ title: 'A' }] });
    expect((await system.until(created.id, ['LANDED', 'FAILED', 'CANCELLED'])).status).toBe('LANDED');
    expect((await system.gql<{ webhookDeliveries: unknown[] }>('{ webhookDeliveries { id } }')).webhookDeliveries).toEqual([]);
    expect(receiver.requests).toEqual([]);
  });
});
