import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { natsOf } from './cli.context';
import { UsageError } from './cli.errors';

/** gt's NATS settings go through the services' validator: same variables, same refusals. */
describe('gt town create: NATS settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gt-context-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const ca = file('ca.pem', 'a CA');
  const cert = file('client.pem', 'a certificate');
  const key = file('client-key.pem', 'a key');
  const creds = file('operator.creds', '-----BEGIN NATS USER JWT-----\njwt\n------END NATS USER JWT------\n-----BEGIN USER NKEY SEED-----\nSUA\n------END USER NKEY SEED------\n');
  const dataDir = join(dir, 'data');
  mkdirSync(join(dataDir, 'nats'), { recursive: true });
  writeFileSync(join(dataDir, 'nats', 'operator.json'), JSON.stringify({ url: 'nats://127.0.0.1:4223', user: 'dev-operator', password: 'pw', namespace: 'dev' }));

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('given NATS_URL with a creds file and TLS files, when read, then the operator connects with both', () => {
    const env = { NATS_URL: 'tls://nats.example.com:4222', GT_NAMESPACE: 'acme', NATS_CREDS_FILE: creds, NATS_TLS_CA_FILE: ca, NATS_TLS_CERT_FILE: cert, NATS_TLS_KEY_FILE: key };
    expect(natsOf(env)).toEqual({
      servers: 'tls://nats.example.com:4222',
      namespace: 'acme',
      credentials: { credsFile: creds, inboxPrefix: '_INBOX_acme_operator' },
      tls: { caFile: ca, certFile: cert, keyFile: key },
      streamReplicas: 1,
    });
  });

  it('given no NATS_URL, when npm start wrote its operator file, then its server and user are used, with TLS as set', () => {
    expect(natsOf({ GASTOWN_DATA_DIR: dataDir, NATS_TLS_CA_FILE: ca })).toEqual({
      servers: 'nats://127.0.0.1:4223',
      namespace: 'dev',
      credentials: { user: 'dev-operator', password: 'pw', inboxPrefix: '_INBOX_dev_operator' },
      tls: { caFile: ca },
      streamReplicas: 1,
    });
  });

  it.each([
    [{ NATS_TLS_CA_FILE: join(dir, 'missing.pem') }, `NATS_TLS_CA_FILE must be a readable file holding the PEM certificate of the CA that signed the NATS servers' certificates, got "${join(dir, 'missing.pem')}"`],
    [{ NATS_TLS_CERT_FILE: cert }, 'NATS_TLS_CERT_FILE and NATS_TLS_KEY_FILE go together: a client certificate is presented with its key'],
    [{ NATS_CREDS_FILE: ca }, `NATS_CREDS_FILE must hold a user JWT and its NKey seed (a .creds file as nsc writes it), got "${ca}"`],
    [{ NATS_TOKEN: 'hunter2', NATS_CREDS_FILE: creds }, 'NATS_USER/NATS_PASSWORD, NATS_TOKEN and NATS_CREDS_FILE exclude each other: set one way to authenticate'],
  ])('given %j, when read, then it is a usage error naming the variable and no secret', (env, problem) => {
    let refused: unknown;
    try {
      natsOf({ NATS_URL: 'tls://127.0.0.1:4222', ...env });
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(UsageError);
    expect((refused as UsageError).message).toBe(`gt town create: invalid configuration\n  - ${problem}`);
    expect((refused as UsageError).message).not.toContain('hunter2');
  });
});
