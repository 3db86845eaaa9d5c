import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { loadNatsConnection, natsConnectionFromEnv, natsSettings, refineNats, streamReplicasSetting } from './nats.settings';
import { ConfigError, namespaceSetting, natsUrlSetting, parseEnv } from './service.settings';

const dir = mkdtempSync(join(tmpdir(), 'gt-nats-settings-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
};
const CA = file('ca.pem', '-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----\n');
const CERT = file('client.pem', '-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----\n');
const KEY = file('client-key.pem', '-----BEGIN PRIVATE KEY-----\nsecret-key-material\n-----END PRIVATE KEY-----\n');
const CREDS = file('svc.creds', '-----BEGIN NATS USER JWT-----\neyJ0\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\nSUAsecretseed\n------END USER NKEY SEED------\n');
const NOT_CREDS = file('not.creds', 'SUAsecretseed-but-no-jwt');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const Nats = z.object({ NATS_URL: natsUrlSetting(), GT_NAMESPACE: namespaceSetting(), ...natsSettings() }).superRefine(refineNats);

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseEnv('svc', Nats, env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
}

describe('GT_STREAM_REPLICAS', () => {
  it.each([
    [undefined, 1],
    ['', 1],
    ['1', 1],
    ['3', 3],
    ['5', 5],
  ])('given %j, when validated, then every stream gets %i copies', (value, replicas) => {
    expect(parseEnv('svc', z.object({ GT_STREAM_REPLICAS: streamReplicasSetting() }), value === undefined ? {} : { GT_STREAM_REPLICAS: value }).GT_STREAM_REPLICAS).toBe(replicas);
  });

  it.each(['2', '4', '0', '7', 'three', '3.0', ' 3'])('given %j, when validated, then it is refused naming the accepted counts', (value) => {
    expect(() => parseEnv('svc', z.object({ GT_STREAM_REPLICAS: streamReplicasSetting() }), { GT_STREAM_REPLICAS: value })).toThrow(
      `svc: invalid configuration\n  - GT_STREAM_REPLICAS must be 1, 3 or 5 (copies of every stream, KV bucket and object store), got "${value}"`,
    );
  });
});

describe('NATS credentials and TLS', () => {
  it('given nothing set, when read, then the service connects anonymously, without client TLS, to one copy of each stream', () => {
    expect(natsConnectionFromEnv(parseEnv('svc', Nats, {}), 'convoy')).toEqual({ servers: 'nats://127.0.0.1:4222', namespace: 'gt', streamReplicas: 1 });
  });

  it('given a user, a token or a creds file, when read, then the service connects that way with replies on its own inbox prefix', () => {
    const read = (env: Record<string, string>) => natsConnectionFromEnv(parseEnv('svc', Nats, env), 'git-runner').credentials;
    expect(read({ NATS_USER: 'gt-git-runner', NATS_PASSWORD: 'pw' })).toEqual({ user: 'gt-git-runner', password: 'pw', inboxPrefix: '_INBOX_gt_git_runner' });
    expect(read({ NATS_TOKEN: 't', NATS_INBOX_PREFIX: 'mine' })).toEqual({ token: 't', inboxPrefix: 'mine' });
    expect(read({ NATS_CREDS_FILE: CREDS, GT_NAMESPACE: 'acme' })).toEqual({ credsFile: CREDS, inboxPrefix: '_INBOX_acme_git_runner' });
  });

  it('given a CA, a client certificate and its key, when read, then the connection verifies the server by that CA and presents the certificate', () => {
    const connection = natsConnectionFromEnv(
      parseEnv('svc', Nats, { NATS_URL: 'tls://nats:4222', NATS_TLS_CA_FILE: CA, NATS_TLS_CERT_FILE: CERT, NATS_TLS_KEY_FILE: KEY, GT_STREAM_REPLICAS: '3' }),
      'dispatcher',
    );
    expect(connection).toEqual({ servers: 'tls://nats:4222', namespace: 'gt', tls: { caFile: CA, certFile: CERT, keyFile: KEY }, streamReplicas: 3 });
    expect(natsConnectionFromEnv(parseEnv('svc', Nats, { NATS_TLS_CA_FILE: CA }), 'dispatcher').tls).toEqual({ caFile: CA });
  });

  it.each([
    [{ NATS_USER: 'u' }, 'NATS_PASSWORD is required with NATS_USER'],
    [{ NATS_PASSWORD: 'hunter2' }, 'NATS_USER is required with NATS_PASSWORD'],
    [{ NATS_TOKEN: 'hunter2', NATS_USER: 'u', NATS_PASSWORD: 'p' }, 'NATS_USER/NATS_PASSWORD, NATS_TOKEN and NATS_CREDS_FILE exclude each other: set one way to authenticate'],
    [{ NATS_TOKEN: 'hunter2', NATS_CREDS_FILE: CREDS }, 'NATS_USER/NATS_PASSWORD, NATS_TOKEN and NATS_CREDS_FILE exclude each other: set one way to authenticate'],
    [{ NATS_CREDS_FILE: NOT_CREDS }, `NATS_CREDS_FILE must hold a user JWT and its NKey seed (a .creds file as nsc writes it), got "${NOT_CREDS}"`],
    [{ NATS_CREDS_FILE: join(dir, 'missing.creds') }, `NATS_CREDS_FILE must be a readable file holding a user JWT and its NKey seed (a .creds file), got "${join(dir, 'missing.creds')}"`],
    [{ NATS_TLS_CA_FILE: dir }, `NATS_TLS_CA_FILE must be a readable file holding the PEM certificate of the CA that signed the NATS servers' certificates, got "${dir}"`],
    [{ NATS_TLS_CERT_FILE: CERT }, 'NATS_TLS_CERT_FILE and NATS_TLS_KEY_FILE go together: a client certificate is presented with its key'],
    [{ NATS_TLS_KEY_FILE: KEY }, 'NATS_TLS_CERT_FILE and NATS_TLS_KEY_FILE go together: a client certificate is presented with its key'],
    [{ NATS_INBOX_PREFIX: '_INBOX.>' }, 'NATS_INBOX_PREFIX must be 1 to 64 letters, digits, "_" or "-"'],
  ])('given %j, when read, then the one problem is named and no secret echoed', (env, message) => {
    const problems = problemsOf(env);
    expect(problems).toEqual([message]);
    expect(problems.join('\n')).not.toMatch(/hunter2|secret/);
  });

  it('given an operator command, when its NATS settings are loaded on their own, then a bad one is refused naming the command', () => {
    expect(loadNatsConnection('holds', 'gateway', { NATS_USER: 'acme-gateway', NATS_PASSWORD: 'pw', GT_NAMESPACE: 'acme', GT_STREAM_REPLICAS: '3' })).toEqual({
      servers: 'nats://127.0.0.1:4222',
      namespace: 'acme',
      credentials: { user: 'acme-gateway', password: 'pw', inboxPrefix: '_INBOX_acme_gateway' },
      streamReplicas: 3,
    });
    expect(() => loadNatsConnection('holds', 'gateway', { NATS_PASSWORD: 'hunter2' })).toThrow('holds: invalid configuration\n  - NATS_USER is required with NATS_PASSWORD');
  });
});
