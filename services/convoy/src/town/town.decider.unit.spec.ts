import { DEFAULT_RIG_CONFIG, DEFAULT_TOWN_LIMITS, type NewEvent, type TownCommand } from '@gastown/contracts';
import { DeciderSpecification, envelope } from '../decider/decider.specification';
import { decideTown, evolveTown, initialTownState } from './town.decider';

const TOWN_ID = '0b7a6c1e-3f2d-4e5a-9b8c-1d2e3f4a5b6c';
const RIG_ID = '11111111-1111-4111-8111-111111111111';
const OTHER_RIG_ID = '22222222-2222-4222-8222-222222222222';
const TOKEN_HASH = 'ab'.repeat(32);
const UNSUPPORTED = 'use an absolute path, file://, ssh://, https://, http:// or user@host:path';
const NO_PASSWORD = "gitUrl must not contain a password: register the URL without it and give the token or deploy key as the rig's credentials";

const spec = DeciderSpecification.for({ decide: decideTown, evolve: evolveTown, initialState: initialTownState });
/** A small installation: its operator set GASTOWN_MAX_RIGS_PER_TOWN=2 and GASTOWN_MAX_WEBHOOKS_PER_TOWN=2. */
const smallSpec = DeciderSpecification.for({
  decide: (command: TownCommand, state: ReturnType<typeof initialTownState>) =>
    decideTown(command, state, { now: '2025-01-01T00:00:00.000Z', limits: { maxRigsPerTown: 2, maxWebhooksPerTown: 2 } }),
  evolve: evolveTown,
  initialState: initialTownState,
});
const MAX_WEBHOOKS = DEFAULT_TOWN_LIMITS.maxWebhooksPerTown;

let sequence = 0;
const meta = (commandId = `cmd-${++sequence}`) => ({ commandId, townId: TOWN_ID, actor: { kind: 'user' as const, id: 'mayor' } });
const createTown = (name = 'Gastown', commandId?: string): TownCommand => ({
  ...meta(commandId),
  type: 'CreateTown',
  data: { name, tokenHash: TOKEN_HASH },
});
const registerRig = (data: Partial<Extract<TownCommand, { type: 'RegisterRig' }>['data']> = {}, commandId?: string): TownCommand => ({
  ...meta(commandId),
  type: 'RegisterRig',
  data: { rigId: RIG_ID, name: 'api', gitUrl: 'git@github.com:acme/api.git', defaultBranch: 'main', ...data },
});

const WEBHOOK_ID = '33333333-3333-4333-8333-333333333333';
const sealedSecret = (sealed: string) => ({ alg: 'A256GCM' as const, keyId: '0f3a9c1e7b2d4a68', nonce: '2xWq0n4v9Kc1Zp7L', sealed });
const SECRET = sealedSecret('Q0JqY3h2bW5aTnR5V0VlQk9WR2dPQk1zZ0hBc2l2a3Jp');
const ALL_EVENTS = ['CONVOY_LANDED', 'CONVOY_FAILED', 'CONVOY_CANCELLED'] as const;
type AddWebhookData = Extract<TownCommand, { type: 'AddWebhook' }>['data'];
const addWebhook = (data: Partial<AddWebhookData> = {}, commandId?: string): TownCommand => ({
  ...meta(commandId),
  type: 'AddWebhook',
  data: { webhookId: WEBHOOK_ID, url: 'https://hooks.example.com/gastown', events: [...ALL_EVENTS], secret: SECRET, ...data },
});
const removeWebhook = (webhookId = WEBHOOK_ID, commandId?: string): TownCommand => ({
  ...meta(commandId),
  type: 'RemoveWebhook',
  data: { webhookId },
});
const webhookAdded = (data: Partial<AddWebhookData> = {}): NewEvent => ({
  type: 'WebhookAdded',
  data: { webhookId: WEBHOOK_ID, url: 'https://hooks.example.com/gastown', events: [...ALL_EVENTS], secret: SECRET, ...data } as Extract<
    NewEvent,
    { type: 'WebhookAdded' }
  >['data'],
});
const nthWebhookId = (n: number) => `44444444-4444-4444-8444-${String(n).padStart(12, '0')}`;
const nthRigRegistered = (n: number): NewEvent => ({
  type: 'RigRegistered',
  data: { rigId: `55555555-5555-4555-8555-${String(n).padStart(12, '0')}`, name: `rig-${n}`, gitUrl: `git@github.com:acme/rig-${n}.git`, defaultBranch: 'main', config: DEFAULT_RIG_CONFIG },
});

const townCreated: NewEvent = { type: 'TownCreated', data: { name: 'Gastown', tokenHash: TOKEN_HASH } };
const apiRegistered: NewEvent = {
  type: 'RigRegistered',
  data: { rigId: RIG_ID, name: 'api', gitUrl: 'git@github.com:acme/api.git', defaultBranch: 'main', config: DEFAULT_RIG_CONFIG },
};

describe('town decider', () => {
  describe('CreateTown', () => {
    it('given no town, when it is created, then the trimmed name and token hash are recorded', () => {
      const decision = spec.given([]).when(createTown('  Gastown  ')).then([townCreated]);
      expect(decision.result).toEqual({ townId: TOWN_ID });
    });

    it('given a town created by a command, when that command comes again, then nothing is written and it is a repeat', () => {
      const decision = spec
        .given([{ ...townCreated, commandId: 'create-1' }])
        .when(createTown('Gastown', 'create-1'))
        .thenNothing();
      expect(decision).toEqual({ events: [], duplicate: true, result: { townId: TOWN_ID } });
    });

    it('given a town, when it is created again by another command, then it is a conflict', () => {
      spec.given([townCreated]).when(createTown()).thenThrows('CONFLICT', `town ${TOWN_ID} already exists`);
    });

    it('given no town, when the name is blank, then the name is required', () => {
      spec.given([]).when(createTown('   ')).thenThrows('BAD_USER_INPUT', 'name must not be empty');
    });

    it('given no town, when the name has 101 characters, then the limit is named', () => {
      spec.given([]).when(createTown('x'.repeat(101))).thenThrows('BAD_USER_INPUT', 'name must be at most 100 characters (it has 101)');
    });

    it('given no town, when the token hash is not a sha256, then it is refused without echoing it', () => {
      const error = spec
        .given([])
        .when({ ...meta(), type: 'CreateTown', data: { name: 'Gastown', tokenHash: 'secret-token' } })
        .thenThrows('BAD_USER_INPUT', 'tokenHash must be 64 lower-case hex characters (a sha256)');
      expect(JSON.stringify(error.details)).not.toContain('secret-token');
    });
  });

  describe('RegisterRig', () => {
    it('given no town, when a rig is registered, then the town is not found', () => {
      spec.given([]).when(registerRig()).thenThrows('NOT_FOUND', `town ${TOWN_ID} does not exist`);
    });

    it.each([
      '/srv/git/api.git',
      'file:///srv/git/api.git',
      'ssh://git@example.com:2222/acme/api.git',
      'https://github.com/acme/api.git',
      'http://git.local/acme/api.git',
      'git@github.com:acme/api.git',
    ])('given a town, when a rig with %s is registered, then it is recorded', (gitUrl) => {
      const decision = spec
        .given([townCreated])
        .when(registerRig({ gitUrl, name: ' api ' }))
        .then([{ type: 'RigRegistered', data: { rigId: RIG_ID, name: 'api', gitUrl, defaultBranch: 'main', config: DEFAULT_RIG_CONFIG } }]);
      expect(decision.result).toEqual({ townId: TOWN_ID, rigId: RIG_ID });
    });

    it.each([
      ['ftp://example.com/api.git', 'an unsupported scheme'],
      ['ext::sh -c touch% /tmp/pwned', 'the ext transport'],
      ['acme/api', 'a relative path'],
      ['https://github.com', 'a URL without a repository path'],
      ['git@-oProxyCommand=calc:api', 'an scp host that looks like an option'],
      ['ssh://-oProxyCommand=calc/api', 'an ssh host that looks like an option'],
      ['--upload-pack=calc', 'an option'],
      ['https://git hub.com/acme/api.git', 'a space'],
    ])('given a town, when a rig with %j (%s) is registered, then the URL is refused', (gitUrl) => {
      spec
        .given([townCreated])
        .when(registerRig({ gitUrl }))
        .thenThrows('BAD_USER_INPUT', `gitUrl ${JSON.stringify(gitUrl)} is not a git URL this town can use: ${UNSUPPORTED}`);
    });

    it.each([
      'https://alice:s3cr3t-pw@github.com/acme/api.git',
      'ssh://alice:s3cr3t-pw@example.com/acme/api.git',
      'alice:s3cr3t-pw@example.com:acme/api.git',
    ])('given a town, when a rig URL embeds a password (%s), then it is refused without repeating the password', (gitUrl) => {
      const error = spec.given([townCreated]).when(registerRig({ gitUrl })).thenThrows('BAD_USER_INPUT', NO_PASSWORD);
      expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain('s3cr3t-pw');
    });

    it('given a rig named api, when another rig is named API, then the name is taken', () => {
      spec
        .given([townCreated, apiRegistered])
        .when(registerRig({ rigId: OTHER_RIG_ID, name: 'API' }))
        .thenThrows('BAD_USER_INPUT', 'name "API" is already used by another rig of this town');
    });

    it.each(['main..x', '-main', '', 'feature/', 'HEAD@{1}'])(
      'given a town, when the default branch is %j, then it is not a valid branch name',
      (defaultBranch) => {
        spec
          .given([townCreated])
          .when(registerRig({ defaultBranch }))
          .thenThrows('BAD_USER_INPUT', `defaultBranch ${JSON.stringify(defaultBranch)} is not a valid branch name`);
      },
    );

    it('given a town, when name, URL and branch are all wrong, then every field is named at once', () => {
      const error = spec
        .given([townCreated])
        .when(registerRig({ name: '', gitUrl: 'nope', defaultBranch: 'a b' }))
        .thenThrows(
          'BAD_USER_INPUT',
          `name must not be empty; gitUrl "nope" is not a git URL this town can use: ${UNSUPPORTED}; defaultBranch "a b" is not a valid branch name`,
        );
      expect((error.details?.['errors'] as { path: string[] }[]).map((e) => e.path)).toEqual([['name'], ['gitUrl'], ['defaultBranch']]);
    });

    it('given a registered rig, when the same registration comes with a new command id, then nothing is written', () => {
      const decision = spec.given([townCreated, apiRegistered]).when(registerRig()).thenNothing();
      expect(decision).toEqual({ events: [], duplicate: false, result: { townId: TOWN_ID, rigId: RIG_ID } });
    });

    it('given a registered rig, when its id is registered with other settings, then it is a conflict', () => {
      spec
        .given([townCreated, apiRegistered])
        .when(registerRig({ name: 'web' }))
        .thenThrows('CONFLICT', `rig ${RIG_ID} is already registered as "api"`);
    });

    it('given a rig registered by a command, when that command comes again, then it is a repeat', () => {
      const decision = spec
        .given([townCreated, { ...apiRegistered, commandId: 'rig-1' }])
        .when(registerRig({}, 'rig-1'))
        .thenNothing();
      expect(decision.duplicate).toBe(true);
    });

    it('given a town with the default most rigs (100), when one more is registered, then it is refused naming the count and the limit, and nothing is written', () => {
      const full = Array.from({ length: DEFAULT_TOWN_LIMITS.maxRigsPerTown }, (_, n) => nthRigRegistered(n));
      const error = spec
        .given([townCreated, ...full])
        .when(registerRig())
        .thenThrows('CONFLICT', `town ${TOWN_ID} already has 100 rigs (limit 100): ask the operator to raise GASTOWN_MAX_RIGS_PER_TOWN`);
      expect(error.details).toEqual({ townId: TOWN_ID, count: 100, limit: 100 });
    });

    it("given a town at the operator's rig limit, when one more is registered, then it is refused; a retry of a registered rig is still answered", () => {
      smallSpec
        .given([townCreated, apiRegistered, nthRigRegistered(1)])
        .when(registerRig({ rigId: OTHER_RIG_ID, name: 'web' }))
        .thenThrows('CONFLICT', `town ${TOWN_ID} already has 2 rigs (limit 2): ask the operator to raise GASTOWN_MAX_RIGS_PER_TOWN`);
      smallSpec.given([townCreated, apiRegistered, nthRigRegistered(1)]).when(registerRig()).thenNothing();
    });

    it("given a town one rig below the operator's limit, when a rig is registered, then it is recorded", () => {
      smallSpec.given([townCreated, nthRigRegistered(1)]).when(registerRig()).then([apiRegistered]);
    });
  });

  it('given a town state, when a rig event is folded, then the earlier state is left as it was', () => {
    const [created, registered] = envelope([townCreated, apiRegistered], registerRig());
    const before = evolveTown(initialTownState(), created);
    const after = evolveTown(before, registered);
    expect(before.rigs.size).toBe(0);
    expect([...after.rigs.values()]).toEqual([{ ...apiRegistered.data, credentials: null }]);
    expect(after).toMatchObject({ exists: true, townId: TOWN_ID, name: 'Gastown' });
  });

  describe('rig configuration', () => {
    it('given no configuration, when a rig is registered, then the documented defaults are recorded', () => {
      spec.given([townCreated]).when(registerRig()).then([apiRegistered]);
    });

    it('given checks, when registered, then they are recorded with the defaults for the rest', () => {
      const config = { maxPolecats: 2, checks: [{ name: 'test', command: ['npm', 'test'] }] };
      spec
        .given([townCreated])
        .when(registerRig({ config }))
        .then([{ type: 'RigRegistered', data: { ...apiRegistered.data, config: { ...DEFAULT_RIG_CONFIG, ...config } } } as NewEvent]);
    });
  });

  describe('rig credentials', () => {
    const TOKEN = { kind: 'https' as const, username: 'x-access-token', token: sealedSecret('VG9rZW5TZWFsZWRGb3JUaGlzUmlnT25seQ') };
    const ROTATED = { ...TOKEN, token: sealedSecret('Um90YXRlZFRva2VuU2VhbGVkRm9yVGhpc1JpZw') };
    const DEPLOY_KEY = {
      kind: 'ssh' as const,
      fingerprint: 'SHA256:Gzr3Z8pLeiKMBbVH/xp99gWnTNMESyYsGi3HohXeCDc',
      knownHosts: ['github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'],
      privateKey: sealedSecret('RGVwbG95S2V5U2VhbGVkRm9yVGhpc1JpZ09ubHk'),
    };
    const credentialsSet = (credentials: typeof TOKEN | typeof DEPLOY_KEY): NewEvent => ({ type: 'RigCredentialsSet', data: { rigId: RIG_ID, credentials } });
    const setCredentials = (credentials: unknown, rigId = RIG_ID, commandId?: string): TownCommand => ({
      ...meta(commandId),
      type: 'SetRigCredentials',
      data: { rigId, credentials },
    });
    const clearCredentials = (rigId = RIG_ID): TownCommand => ({ ...meta(), type: 'ClearRigCredentials', data: { rigId } });
    const CLEAR_REFUSED = "credentials must be sealed with the operator's key (GASTOWN_SECRETS_KEY) for this rig: a clear credential is never stored";

    it('given a town, when a rig is registered with a sealed token, then the registration and the credentials are two events of one decision', () => {
      spec.given([townCreated]).when(registerRig({ credentials: TOKEN })).then([apiRegistered, credentialsSet(TOKEN)]);
    });

    it('given a town, when a rig is registered with a token in clear, then it is refused without echoing it and nothing is registered', () => {
      const error = spec
        .given([townCreated])
        .when(registerRig({ credentials: { kind: 'https', username: 'x-access-token', token: 'ghp_ClearTokenNeverStored' } }))
        .thenThrows('BAD_USER_INPUT', CLEAR_REFUSED);
      expect(JSON.stringify(error.details)).not.toContain('ghp_Clear');
    });

    it('given a rig with a token, when a deploy key is set, then it replaces the token (rotation)', () => {
      spec.given([townCreated, apiRegistered, credentialsSet(TOKEN)]).when(setCredentials(DEPLOY_KEY)).then([credentialsSet(DEPLOY_KEY)]);
      spec.given([townCreated, apiRegistered, credentialsSet(TOKEN)]).when(setCredentials(ROTATED)).then([credentialsSet(ROTATED)]);
    });

    it('given a rig set by a command, when that command comes again, then it is a repeat and nothing is written', () => {
      const decision = spec
        .given([townCreated, apiRegistered, { ...credentialsSet(TOKEN), commandId: 'set-1' }])
        .when(setCredentials(TOKEN, RIG_ID, 'set-1'))
        .thenNothing();
      expect(decision.duplicate).toBe(true);
    });

    it('given no such rig, when credentials are set or cleared, then it is not found', () => {
      spec.given([townCreated]).when(setCredentials(TOKEN, OTHER_RIG_ID)).thenThrows('NOT_FOUND', `rig ${OTHER_RIG_ID} not found in town ${TOWN_ID}`);
      spec.given([townCreated]).when(clearCredentials(OTHER_RIG_ID)).thenThrows('NOT_FOUND', `rig ${OTHER_RIG_ID} not found in town ${TOWN_ID}`);
    });

    it('given a rig, when credentials come unsealed or malformed, then they are refused and nothing is written', () => {
      for (const credentials of [{ kind: 'ssh', privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----' }, { ...DEPLOY_KEY, knownHosts: ['github.com\nevil'] }, null]) {
        spec.given([townCreated, apiRegistered]).when(setCredentials(credentials)).thenThrows('BAD_USER_INPUT', CLEAR_REFUSED);
      }
    });

    it('given a rig with credentials, when they are cleared, then the removal is recorded, and clearing again changes nothing', () => {
      spec.given([townCreated, apiRegistered, credentialsSet(TOKEN)]).when(clearCredentials()).then([{ type: 'RigCredentialsCleared', data: { rigId: RIG_ID } }]);
      spec.given([townCreated, apiRegistered, credentialsSet(TOKEN), { type: 'RigCredentialsCleared', data: { rigId: RIG_ID } }]).when(clearCredentials()).thenNothing();
    });

    it('given a rig registered with credentials, when the registration is retried with a new command id, then nothing is written', () => {
      spec.given([townCreated, apiRegistered, credentialsSet(TOKEN)]).when(registerRig({ credentials: TOKEN })).thenNothing();
    });
  });

  describe('AddWebhook', () => {
    it('given no town, when a webhook is added, then the town is not found', () => {
      spec.given([]).when(addWebhook()).thenThrows('NOT_FOUND', `town ${TOWN_ID} does not exist`);
    });

    it('given a town, when a webhook is added, then url, events and secret are recorded and the secret is answered', () => {
      const decision = spec.given([townCreated]).when(addWebhook({ url: '  https://hooks.example.com/gastown ' })).then([webhookAdded()]);
      expect(decision.result).toEqual({ townId: TOWN_ID, webhookId: WEBHOOK_ID, secret: SECRET });
    });

    it('given events listed twice and out of order, when added, then each is recorded once in catalogue order', () => {
      spec
        .given([townCreated])
        .when(addWebhook({ events: ['CONVOY_CANCELLED', 'CONVOY_LANDED', 'CONVOY_CANCELLED'] }))
        .then([webhookAdded({ events: ['CONVOY_LANDED', 'CONVOY_CANCELLED'] })]);
    });

    it('given a webhook added by a command, when that command comes again, then nothing is written and the stored secret is answered', () => {
      const decision = spec
        .given([townCreated, { ...webhookAdded(), commandId: 'hook-1' }])
        .when(addWebhook({ secret: sealedSecret('x'.repeat(43)) }, 'hook-1'))
        .thenNothing();
      expect(decision).toEqual({ events: [], duplicate: true, result: { townId: TOWN_ID, webhookId: WEBHOOK_ID, secret: SECRET } });
    });

    it('given a webhook, when its id is added again with another secret, then it is a conflict and no secret is answered', () => {
      const error = spec
        .given([townCreated, webhookAdded()])
        .when(addWebhook({ secret: sealedSecret('y'.repeat(43)) }))
        .thenThrows('CONFLICT', `webhook ${WEBHOOK_ID} already exists with other settings`);
      expect(JSON.stringify(error.details)).not.toContain(SECRET.sealed);
    });

    it('given a removed webhook, when its id is added again, then the id is not reused', () => {
      spec
        .given([townCreated, webhookAdded(), { type: 'WebhookRemoved', data: { webhookId: WEBHOOK_ID } }])
        .when(addWebhook())
        .thenThrows('CONFLICT', `webhook ${WEBHOOK_ID} was removed; add a new webhook instead`);
    });

    it.each([
      ['an ftp URL', 'ftp://hooks.example.com/x', 'url must use http:// or https:// (it uses ftp)'],
      ['a file URL', 'file:///etc/passwd', 'url must use http:// or https:// (it uses file)'],
      ['a URL without a scheme', 'hooks.example.com/x', 'url must be an absolute http:// or https:// URL'],
      ['a URL with a space', 'https://hooks.example.com/a b', 'url must not contain spaces or control characters'],
      ['blank', '   ', 'url must not be empty'],
      ['2026 characters long', `https://hooks.example.com/${'x'.repeat(2000)}`, 'url must be at most 2000 characters (it has 2026)'],
    ])('given a town, when the url is %s, then it is refused naming the problem', (_, url, message) => {
      spec.given([townCreated]).when(addWebhook({ url })).thenThrows('BAD_USER_INPUT', message);
    });

    it.each(['https://alice:s3cr3t-pw@hooks.example.com/x', 'https://s3cr3t-pw@hooks.example.com/x'])(
      'given a town, when the url carries credentials (%s), then it is refused without repeating them',
      (url) => {
        const error = spec
          .given([townCreated])
          .when(addWebhook({ url }))
          .thenThrows('BAD_USER_INPUT', 'url must not contain credentials (user:password@): receivers verify the X-Gastown-Signature header instead');
        expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain('s3cr3t-pw');
      },
    );

    it('given a webhook for a url, when another webhook names the same url, then the url is taken', () => {
      spec
        .given([townCreated, webhookAdded()])
        .when(addWebhook({ webhookId: nthWebhookId(1) }))
        .thenThrows('BAD_USER_INPUT', `url is already used by webhook ${WEBHOOK_ID} of this town`);
    });

    it('given a town, when no events are named, then at least one is required', () => {
      spec
        .given([townCreated])
        .when(addWebhook({ events: [] }))
        .thenThrows('BAD_USER_INPUT', 'events must name at least one of CONVOY_LANDED, CONVOY_FAILED, CONVOY_CANCELLED');
    });

    it('given a town, when an event is unknown, then its position and value are named', () => {
      spec
        .given([townCreated])
        .when(addWebhook({ events: ['CONVOY_LANDED', 'BEAD_MERGED'] }))
        .thenThrows('BAD_USER_INPUT', 'events[1] "BEAD_MERGED" is not a webhook event: use CONVOY_LANDED, CONVOY_FAILED, CONVOY_CANCELLED');
    });

    it('given a town, when the secret comes in clear instead of sealed, then it is refused without echoing it and nothing is written', () => {
      const error = spec
        .given([townCreated])
        .when(addWebhook({ secret: 'q3Jt1V8fZx0cK2mN5pR7sT9uW4yA6bD8eF0gH2iJ4kL' }))
        .thenThrows('BAD_USER_INPUT', "secret must be sealed with the operator's key (GASTOWN_SECRETS_KEY): a clear secret is never stored");
      expect(JSON.stringify(error.details)).not.toContain('q3Jt1V8f');
    });

    it('given a town with the default most webhooks (10), when one more is added, then the count and the limit are named and nothing is written', () => {
      const full = Array.from({ length: MAX_WEBHOOKS }, (_, n) =>
        webhookAdded({ webhookId: nthWebhookId(n), url: `https://hooks.example.com/${n}` }),
      );
      const error = spec
        .given([townCreated, ...full])
        .when(addWebhook())
        .thenThrows('CONFLICT', `town ${TOWN_ID} already has 10 webhooks (limit 10): remove one before adding another`);
      expect(error.details).toEqual({ townId: TOWN_ID, count: 10, limit: 10 });
    });

    it("given a town at the operator's webhook limit, when one more is added, then the operator's limit is named", () => {
      smallSpec
        .given([townCreated, webhookAdded({ webhookId: nthWebhookId(1), url: 'https://hooks.example.com/1' }), webhookAdded({ webhookId: nthWebhookId(2), url: 'https://hooks.example.com/2' })])
        .when(addWebhook())
        .thenThrows('CONFLICT', `town ${TOWN_ID} already has 2 webhooks (limit 2): remove one before adding another`);
    });

    it('given a town with the most webhooks, when one is removed, then another can be added', () => {
      const full = Array.from({ length: MAX_WEBHOOKS }, (_, n) =>
        webhookAdded({ webhookId: nthWebhookId(n), url: `https://hooks.example.com/${n}` }),
      );
      spec
        .given([townCreated, ...full, { type: 'WebhookRemoved', data: { webhookId: nthWebhookId(0) } }])
        .when(addWebhook())
        .then([webhookAdded()]);
    });
  });

  describe('RemoveWebhook', () => {
    it('given a webhook, when it is removed, then the removal is recorded', () => {
      const decision = spec
        .given([townCreated, webhookAdded()])
        .when(removeWebhook())
        .then([{ type: 'WebhookRemoved', data: { webhookId: WEBHOOK_ID } }]);
      expect(decision.result).toEqual({ townId: TOWN_ID, webhookId: WEBHOOK_ID });
    });

    it('given no such webhook, when it is removed, then it is not found', () => {
      spec.given([townCreated]).when(removeWebhook()).thenThrows('NOT_FOUND', `webhook ${WEBHOOK_ID} not found in town ${TOWN_ID}`);
    });

    it('given a webhook removed by a command, when that command comes again, then it is a repeat', () => {
      const decision = spec
        .given([townCreated, webhookAdded(), { type: 'WebhookRemoved', data: { webhookId: WEBHOOK_ID }, commandId: 'rm-1' }])
        .when(removeWebhook(WEBHOOK_ID, 'rm-1'))
        .thenNothing();
      expect(decision.duplicate).toBe(true);
    });

    it('given a removed webhook, when another command removes it again, then it is not found', () => {
      spec
        .given([townCreated, webhookAdded(), { type: 'WebhookRemoved', data: { webhookId: WEBHOOK_ID } }])
        .when(removeWebhook())
        .thenThrows('NOT_FOUND', `webhook ${WEBHOOK_ID} not found in town ${TOWN_ID}`);
    });
  });

  describe('hostile text', () => {
    it('given a town, when a rig name holds a NUL, then it is refused with the code point and position and nothing is written', () => {
      spec.given([townCreated]).when(registerRig({ name: 'ap\0i' })).thenThrows('BAD_USER_INPUT', 'name contains a control character U+0000 at position 2');
    });

    it.each([
      ['a newline', 'api\nx', 'a line break U+000A at position 3'],
      ['a right-to-left override', '\u202Eipa', 'a bidirectional control character U+202E at position 0'],
      ['a zero-width space', 'a\u200Bpi', 'an invisible format character U+200B at position 1'],
      ['a lone surrogate', 'api\uDC00', 'a lone surrogate U+DC00 at position 3'],
    ])('given a town, when a rig name holds %s, then it is refused naming it', (_, name, what) => {
      spec.given([townCreated]).when(registerRig({ name })).thenThrows('BAD_USER_INPUT', `name contains ${what}`);
    });

    it('given no town, when its name holds a zero-width joiner, then it is refused', () => {
      spec.given([]).when(createTown('Gas\u200Dtown')).thenThrows('BAD_USER_INPUT', 'name contains an invisible format character U+200D at position 3');
    });

    it('given a town, when the default branch holds a bidi isolate, then it is refused naming the branch field', () => {
      spec
        .given([townCreated])
        .when(registerRig({ defaultBranch: 'ma\u2066in' }))
        .thenThrows('BAD_USER_INPUT', 'defaultBranch contains a bidirectional control character U+2066 at position 2');
    });

    it('given a town, when a git URL or a webhook URL holds a zero-width space or a NUL, then each is refused', () => {
      spec.given([townCreated]).when(registerRig({ gitUrl: 'https://git\u200B.example.com/a.git' })).thenThrows('BAD_USER_INPUT', /^gitUrl .* is not a git URL this town can use/);
      spec.given([townCreated]).when(addWebhook({ url: 'https://hooks.example.com/\0' })).thenThrows('BAD_USER_INPUT', 'url must not contain spaces or control characters');
    });
  });
});
