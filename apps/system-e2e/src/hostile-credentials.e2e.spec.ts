import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGitHttpServer, type GitHttpAccount, type GitHttpServer } from '@gastown/testing';
import { SystemHarness, type GqlError, type OtherTown } from '@gastown/system-testing';

const USER = 'x-access-token';
const TOKEN = 'ghp_TownAToken_8c1f0e2d4b6a';
const ROTATED = 'ghp_TownARotated_5e7d9c1b3a';
const GUESS = 'ghp_IntruderGuess_000000000';

const RIG_FIELDS = 'id name credentials { kind setAt username fingerprint }';
const REGISTER = `mutation ($input: RegisterRigInput!) { registerRig(input: $input) { ${RIG_FIELDS} } }`;
const SET = `mutation ($input: SetRigCredentialsInput!) { setRigCredentials(input: $input) { ${RIG_FIELDS} } }`;
const CLEAR = `mutation ($rigId: ID!) { clearRigCredentials(rigId: $rigId) { ${RIG_FIELDS} } }`;

interface RigAnswer {
  id: string;
  name: string;
  credentials: { kind: string; setAt: string; username: string | null; fingerprint: string | null } | null;
}

/** Every form of a token that would give it away: as typed, in the basic header, in base64 and hex. */
function forms(token: string): string[] {
  const basic = Buffer.from(`${USER}:${token}`).toString('base64');
  return [token, basic, Buffer.from(token).toString('base64'), Buffer.from(token).toString('hex')];
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/**
 * A rig's git credentials belong to its town: the runner uses them for that rig's remote alone,
 * and they are in clear nowhere a tenant, an agent or a reader of the stream could look. Town B
 * attacks as a tenant would, with nothing but its own token: the same URL without credentials,
 * a guessed token, A's rig id.
 */
describe('hostile tenants and per-rig git credentials', () => {
  let system: SystemHarness;
  let intruder: OtherTown;
  let server: GitHttpServer;
  const accounts: GitHttpAccount[] = [{ username: USER, password: TOKEN }];
  let url: string;
  let rigId: string;
  /** Every GraphQL answer either town got, to search for the tokens at the end. */
  const answers: unknown[] = [];
  let names = 0;

  async function ask<T>(town: Pick<OtherTown, 'gqlRaw'>, query: string, variables: Record<string, unknown> = {}) {
    const answer = await town.gqlRaw<T>(query, variables);
    answers.push(answer);
    return answer;
  }

  function refusal(answer: { data?: unknown; errors?: GqlError[] }) {
    const [error] = answer.errors ?? [];
    return { code: error?.extensions?.code, message: error?.message, path: error?.extensions?.errors?.[0]?.path };
  }

  const register = (town: Pick<OtherTown, 'gqlRaw'>, token?: string) =>
    ask<{ registerRig: RigAnswer }>(town, REGISTER, {
      input: {
        name: `web-${++names}`,
        gitUrl: url,
        defaultBranch: 'main',
        ...(token !== undefined ? { credentials: { httpsToken: { token } } } : {}),
      },
    });

  const rigsOf = async (town: Pick<OtherTown, 'gqlRaw'>) => (await ask<{ rigs: RigAnswer[] }>(town, `{ rigs { ${RIG_FIELDS} } }`)).data?.rigs ?? [];

  async function landOneBead(title: string): Promise<string> {
    const convoy = await system.slingBatch({ title, defaultRigId: rigId, mergeMode: 'REVIEW_AND_MERGE', tasks: [{ title }] });
    const landed = await system.until(convoy.id, ['LANDED', 'FAILED', 'CANCELLED']);
    expect([landed.status, landed.failureReason]).toEqual(['LANDED', null]);
    const [bead] = landed.beads;
    answers.push(landed);
    return bead.mergeCommit as string;
  }

  beforeAll(async () => {
    server = await startGitHttpServer(accounts);
    url = server.createRepository('web.git');
    // The harness allows loopback for every service, as an operator would for an inside git server.
    system = await SystemHarness.start();
    intruder = await system.addTown('intruder');
  });

  afterAll(async () => {
    await system?.close();
    await server?.close();
  });

  it('given a wrong token or none, when town A registers the private remote, then it is refused at registerRig naming the failure, and nothing is registered', async () => {
    expect(refusal(await register(system, GUESS))).toEqual({
      code: 'BAD_USER_INPUT',
      message: `authentication failed for ${url}: the remote refused the rig's credentials`,
      path: ['credentials'],
    });
    expect(refusal(await register(system))).toEqual({
      code: 'BAD_USER_INPUT',
      message: `authentication failed for ${url}: the remote asks for credentials, and the rig has none (the runner never lends its own)`,
      path: ['gitUrl'],
    });
    expect(refusal(await register(system, 'two words'))).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await rigsOf(system)).toEqual([]);
  });

  it("given the right token, when town A registers and slings, then the rig shows the token's kind and user but never the token, and the convoy lands with it", async () => {
    const answer = await register(system, TOKEN);
    expect(answer.errors).toBeUndefined();
    const rig = answer.data?.registerRig as RigAnswer;
    expect(rig.credentials).toEqual({ kind: 'HTTPS_TOKEN', setAt: expect.any(String), username: USER, fingerprint: null });
    rigId = rig.id;

    server.requests.length = 0;
    const merge = await landOneBead('Behind basic auth');
    expect(server.git('web.git', 'merge-base', '--is-ancestor', merge, 'main')).toBe('');
    const pushes = server.requests.filter((r) => r.path.endsWith('/git-receive-pack'));
    expect(pushes.length).toBeGreaterThan(0);
    expect(new Set(server.requests.filter((r) => r.status !== 401).map((r) => r.authorization))).toEqual(new Set([`Basic ${forms(TOKEN)[1]}`]));
  });

  it("given town A's rig, when town B registers the same URL without a token or with a guess, or addresses A's rig, then all is refused and A's main is untouched", async () => {
    const main = server.git('web.git', 'rev-parse', 'main');
    expect(refusal(await register(intruder))).toMatchObject({ code: 'BAD_USER_INPUT', path: ['gitUrl'], message: expect.stringContaining('authentication failed') });
    expect(refusal(await register(intruder, GUESS))).toMatchObject({ code: 'BAD_USER_INPUT', path: ['credentials'] });
    expect(refusal(await ask(intruder, SET, { input: { rigId, credentials: { httpsToken: { token: GUESS } } } }))).toMatchObject({ code: 'NOT_FOUND' });
    expect(refusal(await ask(intruder, CLEAR, { rigId }))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await rigsOf(intruder)).toEqual([]);
    expect(server.git('web.git', 'rev-parse', 'main')).toBe(main);
    expect((await rigsOf(system)).map((r) => r.credentials?.kind)).toEqual(['HTTPS_TOKEN']);
  });

  it('given a rotation on the server, when a wrong new token is offered it is refused and the rig keeps its own; the right one replaces it and the next convoy lands with it alone', async () => {
    const before = (await rigsOf(system))[0].credentials;
    expect(refusal(await ask(system, SET, { input: { rigId, credentials: { httpsToken: { token: GUESS } } } }))).toMatchObject({
      code: 'BAD_USER_INPUT',
      path: ['credentials'],
    });
    expect((await rigsOf(system))[0].credentials).toEqual(before);

    accounts.push({ username: USER, password: ROTATED });
    const set = await ask<{ setRigCredentials: RigAnswer }>(system, SET, { input: { rigId, credentials: { httpsToken: { token: ROTATED } } } });
    expect(set.errors).toBeUndefined();
    expect(Date.parse(set.data?.setRigCredentials.credentials?.setAt ?? '')).toBeGreaterThan(Date.parse(before?.setAt ?? ''));
    // The old token stops working on the server: only the new one can land this convoy.
    accounts.splice(0, 1);
    server.requests.length = 0;
    await landOneBead('After rotation');
    expect(new Set(server.requests.filter((r) => r.status !== 401).map((r) => r.authorization))).toEqual(new Set([`Basic ${forms(ROTATED)[1]}`]));

    const cleared = await ask<{ clearRigCredentials: RigAnswer }>(system, CLEAR, { rigId });
    expect(cleared.data?.clearRigCredentials.credentials).toBeNull();
  });

  it('then no token is in any message of the raw event stream, any GraphQL answer, any service log, or any file of the runner (clones, worktrees, .git/config, logs)', async () => {
    const info = await system.bus.jsm.streams.info(system.bus.names.eventStream);
    const raw: string[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const message = await system.bus.jsm.streams.getMessage(system.bus.names.eventStream, { seq }).catch(() => null);
      if (message) raw.push(Buffer.from(message.data).toString('utf8'));
    }
    expect(raw.join('\n')).toContain('RigCredentialsSet');
    const places: Record<string, string> = {
      'the event stream': raw.join('\n'),
      'the GraphQL answers': JSON.stringify(answers),
      'the service logs': [...system.processes.values()].map((p) => p.output()).join('\n'),
    };
    for (const file of filesUnder(system.dataDir)) places[file] = readFileSync(file).toString('latin1');
    expect(filesUnder(system.dataDir).some((file) => file.endsWith(join('clone', '.git', 'config')) || file.endsWith(join('clone', 'config')))).toBe(true);
    const leaks = Object.entries(places).flatMap(([place, text]) =>
      [...forms(TOKEN), ...forms(ROTATED), ...forms(GUESS)].filter((form) => text.includes(form)).map((form) => `${place}: ${form.slice(0, 6)}…`),
    );
    expect(leaks).toEqual([]);
  });
});
