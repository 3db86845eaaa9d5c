import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTestDatabase,
  createTestPki,
  freePort,
  startNatsServer,
  startService,
  testNamespace,
  type NatsServerProcess,
  type ServiceProcess,
  type TestDatabase,
  type TestPki,
} from '@gastown/testing';
import { errorOf, gt, jsonOf } from '../gt-process.fixture';

/**
 * `gt town create`, the one gt command that speaks NATS, against a server that speaks TLS only and
 * verifies its clients' certificates (a CA made for this run): with the services' NATS_TLS_*
 * variables it creates a town the gateway accepts; without them it fails saying why.
 */
describe('gt town create on a NATS server that requires TLS', () => {
  const namespace = testNamespace();
  let dir: string;
  let pki: TestPki;
  let nats: NatsServerProcess;
  let db: TestDatabase;
  let services: ServiceProcess[] = [];
  let env: Record<string, string>;
  let tls: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gt-cli-tls-'));
    pki = createTestPki(dir);
    const natsPort = await freePort();
    nats = await startNatsServer({
      port: natsPort,
      storeDir: dir,
      config: `tls {\n  cert_file: ${JSON.stringify(pki.serverCertFile)}\n  key_file: ${JSON.stringify(pki.serverKeyFile)}\n  ca_file: ${JSON.stringify(pki.caFile)}\n  verify: true\n  timeout: 5\n}\n`,
    });
    db = await createTestDatabase();
    const gatewayPort = await freePort();
    tls = { NATS_TLS_CA_FILE: pki.caFile, NATS_TLS_CERT_FILE: pki.clientCertFile, NATS_TLS_KEY_FILE: pki.clientKeyFile };
    env = {
      NATS_URL: `tls://127.0.0.1:${natsPort}`,
      GT_NAMESPACE: namespace,
      DATABASE_URL: db.url,
      GATEWAY_PORT: String(gatewayPort),
      GATEWAY_URL: `http://127.0.0.1:${gatewayPort}/graphql`,
      GT_TOKEN: '',
    };
    services = await Promise.all([
      startService('convoy', { env: { ...env, ...tls }, readyText: 'convoy service ready', timeoutMs: 60_000 }),
      startService('gateway', { env: { ...env, ...tls }, readyText: 'gateway ready', timeoutMs: 60_000 }),
    ]);
  });

  afterAll(async () => {
    await Promise.all(services.map((s) => s.stop()));
    await nats?.kill();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('given the CA and a client certificate, when a town is created, then its token works at once', async () => {
    const run = await gt(['town', 'create', 'tls', '--json'], { ...env, ...tls });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const { token } = jsonOf<{ token: string }>(run);
    const rigs = await gt(['rig', 'list', '--json'], { ...env, GT_TOKEN: token });
    expect(rigs.code).toBe(0);
    expect(jsonOf<{ rigs: unknown[] }>(rigs).rigs).toEqual([]);
  });

  it('given no CA, when a town is created, then gt exits 1 because the server certificate is not trusted, and says what to set', async () => {
    const run = await gt(['town', 'create', 'untrusted', '--json'], { ...env, NATS_TLS_CERT_FILE: pki.clientCertFile, NATS_TLS_KEY_FILE: pki.clientKeyFile });
    expect(run.code).toBe(1);
    const error = errorOf(run);
    expect(error.code).toBe('NATS_UNREACHABLE');
    expect(error.message).toContain(`cannot connect to NATS at ${env['NATS_URL']}`);
    expect(error.message).toContain('unable to verify the first certificate');
    expect(error.message).toContain('NATS_TLS_CA_FILE');
    expect(run.stderr).not.toContain('PRIVATE KEY');
  });

  it('given the CA but no client certificate, when a town is created, then the server refuses gt and gt exits 1 saying so', async () => {
    const run = await gt(['town', 'create', 'anonymous', '--json'], { ...env, NATS_TLS_CA_FILE: pki.caFile });
    expect(run.code).toBe(1);
    const error = errorOf(run);
    expect(error.code).toBe('NATS_UNREACHABLE');
    expect(error.message).toContain(`cannot connect to NATS at ${env['NATS_URL']}: timeout; gt offered no client certificate`);
    expect(error.message).toContain('NATS_TLS_CERT_FILE');
  });

  it('given a CA file that is not there, when a town is created, then gt exits 2 naming the variable before it connects', async () => {
    const missing = join(dir, 'missing-ca.pem');
    const run = await gt(['town', 'create', 'typo', '--json'], { ...env, ...tls, NATS_TLS_CA_FILE: missing });
    expect(run.code).toBe(2);
    expect(errorOf(run)).toMatchObject({
      code: 'USAGE',
      message: `gt town create: invalid configuration\n  - NATS_TLS_CA_FILE must be a readable file holding the PEM certificate of the CA that signed the NATS servers' certificates, got "${missing}"`,
    });
  });
});
