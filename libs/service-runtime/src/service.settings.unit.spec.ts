import { z } from 'zod';
import {
  ConfigError,
  loadNatsCredentials,
  namespaceSetting,
  natsAuthSettings,
  natsCredentialsFromEnv,
  natsUrlSetting,
  parseEnv,
  redactUrl,
  refineNatsAuth,
  refineSecretsKey,
  secretKeyringFromEnv,
  secretsKeySettings,
  wholeNumberSetting,
} from './service.settings';

const Env = z.object({
  NATS_URL: natsUrlSetting(),
  GT_NAMESPACE: namespaceSetting(),
  WORKERS: wholeNumberSetting('WORKERS', 4, { max: 64 }),
  WAIT_MS: wholeNumberSetting('WAIT_MS', 1_000, { min: 100, max: 5_000, unit: ' ms' }),
});

describe('service settings', () => {
  it('given nothing set, when parsed, then the shared defaults apply', () => {
    expect(parseEnv('svc', Env, {})).toEqual({ NATS_URL: 'nats://127.0.0.1:4222', GT_NAMESPACE: 'gt', WORKERS: 4, WAIT_MS: 1_000 });
  });

  it('given a cluster list, when parsed, then it is accepted as given', () => {
    expect(parseEnv('svc', Env, { NATS_URL: 'nats://a:4222,nats://b:4222' }).NATS_URL).toBe('nats://a:4222,nats://b:4222');
  });

  it('given several bad values, when parsed, then each is its own line naming the variable and the range', () => {
    const parse = () => parseEnv('svc', Env, { NATS_URL: 'a:4222', GT_NAMESPACE: 'Prod', WORKERS: '0', WAIT_MS: 'soon' });
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(
      'svc: invalid configuration\n' +
        '  - NATS_URL must look like nats://host:port (or a comma-separated list of such URLs)\n' +
        '  - GT_NAMESPACE must be lower-case letters, digits or _\n' +
        '  - WORKERS must be a whole number from 1 to 64, got "0"\n' +
        '  - WAIT_MS must be a whole number from 100 to 5000 ms, got "soon"',
    );
  });

  it('given URLs with credentials, when prepared for a log line, then no secret is left', () => {
    const line = redactUrl('nats://alice:s3cret@a:4222,nats://b:4222');
    expect(line).not.toMatch(/alice|s3cret/);
    expect(line).toBe('nats://***@a:4222,nats://b:4222');
  });
});

describe('NATS credentials and the secrets key', () => {
  const Auth = z.object({ ...natsAuthSettings(), ...secretsKeySettings() }).superRefine((e, ctx) => {
    refineNatsAuth(e, ctx);
    refineSecretsKey(e, ctx);
  });
  const KEY = 'a'.repeat(64);

  it('given a user and password, when read, then the service connects as that user with replies on its own inbox prefix', () => {
    const e = parseEnv('svc', Auth, { NATS_USER: 'gt-convoy', NATS_PASSWORD: 'pw', GASTOWN_SECRETS_KEY: KEY });
    expect(natsCredentialsFromEnv(e, 'convoy', 'gt')).toEqual({ user: 'gt-convoy', password: 'pw', inboxPrefix: '_INBOX_gt_convoy' });
    expect(natsCredentialsFromEnv({ NATS_TOKEN: 't', NATS_INBOX_PREFIX: 'mine' }, 'git-runner', 'gt')).toEqual({ token: 't', inboxPrefix: 'mine' });
    expect(natsCredentialsFromEnv({}, 'gateway', 'gt')).toBeUndefined();
  });

  it('given half a credential, both kinds at once, or no secrets key, when read, then each problem is named without echoing a value', () => {
    const refuse = (env: Record<string, string>) => () => parseEnv('svc', Auth, env);
    expect(refuse({ NATS_USER: 'u', GASTOWN_SECRETS_KEY: KEY })).toThrow('NATS_PASSWORD is required with NATS_USER');
    expect(refuse({ NATS_PASSWORD: 'hunter2', GASTOWN_SECRETS_KEY: KEY })).toThrow('NATS_USER is required with NATS_PASSWORD');
    expect(refuse({ NATS_TOKEN: 't', NATS_USER: 'u', NATS_PASSWORD: 'p', GASTOWN_SECRETS_KEY: KEY })).toThrow(/NATS_TOKEN and NATS_USER\/NATS_PASSWORD exclude each other/);
    expect(refuse({})).toThrow(/GASTOWN_SECRETS_KEY is required: 32 bytes/);
    expect(refuse({ GASTOWN_SECRETS_KEY: 'hunter2' })).toThrow(/GASTOWN_SECRETS_KEY must be 32 bytes/);
    expect(refuse({ GASTOWN_SECRETS_KEY: 'hunter2' })).not.toThrow(/hunter2/);
    expect(refuse({ GASTOWN_SECRETS_KEY: KEY, GASTOWN_SECRETS_PREVIOUS_KEYS: 'nope' })).toThrow(/GASTOWN_SECRETS_PREVIOUS_KEYS entry 1 must be 32 bytes/);
  });

  it('given a service whose schema leaves credentials out, when they are loaded on their own, then the namespace names the inbox and a bad pair is refused naming the service', () => {
    expect(loadNatsCredentials('git-runner', 'git-runner', { NATS_USER: 'acme-git-runner', NATS_PASSWORD: 'pw', GT_NAMESPACE: 'acme' })).toEqual({
      user: 'acme-git-runner',
      password: 'pw',
      inboxPrefix: '_INBOX_acme_git_runner',
    });
    expect(loadNatsCredentials('convoy service', 'convoy', { NATS_USER: '', NATS_PASSWORD: '' })).toBeUndefined();
    expect(() => loadNatsCredentials('convoy service', 'convoy', { NATS_PASSWORD: 'hunter2' })).toThrow(
      'convoy service: invalid configuration\n  - NATS_USER is required with NATS_PASSWORD',
    );
  });

  it('given a key, when the keyring is built, then it seals and opens', () => {
    const ring = secretKeyringFromEnv({ GASTOWN_SECRETS_KEY: KEY });
    expect(ring.open(ring.seal('s', 'ctx'), 'ctx')).toBe('s');
  });
});
