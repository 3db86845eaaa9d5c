import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestPki, freePort, startNatsServer, startService, testNamespace, type NatsServerProcess, type TestPki } from '@gastown/testing';

/**
 * A NATS server that speaks TLS only and verifies its clients' certificates, with a CA made for
 * this run: a service given NATS_TLS_CA_FILE, NATS_TLS_CERT_FILE and NATS_TLS_KEY_FILE comes up
 * (the server refuses a client without a certificate of that CA), and one without the CA does
 * not trust the server and says so, no key in sight.
 */
describe('a service on a NATS server that requires TLS', () => {
  let dir: string;
  let pki: TestPki;
  let nats: NatsServerProcess;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gt-nats-tls-'));
    pki = createTestPki(dir);
    const port = await freePort();
    nats = await startNatsServer({
      port,
      storeDir: dir,
      config: `tls {\n  cert_file: ${JSON.stringify(pki.serverCertFile)}\n  key_file: ${JSON.stringify(pki.serverKeyFile)}\n  ca_file: ${JSON.stringify(pki.caFile)}\n  verify: true\n  timeout: 5\n}\n`,
    });
    url = `tls://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await nats?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  const serviceEnv = () => ({ NATS_URL: url, GT_NAMESPACE: testNamespace(), CONVOY_HEALTH_PORT: '0' });
  const convoy = (env: Record<string, string>) => startService('convoy', { env: { ...serviceEnv(), ...env } });

  it('given the CA and a client certificate, when the convoy service starts, then it connects over TLS and is ready', async () => {
    const service = await startService('convoy', {
      env: { ...serviceEnv(), NATS_TLS_CA_FILE: pki.caFile, NATS_TLS_CERT_FILE: pki.clientCertFile, NATS_TLS_KEY_FILE: pki.clientKeyFile },
      readyText: 'convoy service ready',
      timeoutMs: 60_000,
    });
    await service.stop();
  });

  it('given no CA, when the convoy service starts, then it exits because the server certificate is not trusted', async () => {
    const service = await convoy({ NATS_TLS_CERT_FILE: pki.clientCertFile, NATS_TLS_KEY_FILE: pki.clientKeyFile });
    expect(await service.exited()).toBe(1);
    expect(service.output()).toContain('unable to verify the first certificate');
    expect(service.output()).not.toContain('convoy service ready');
    expect(service.output()).not.toContain('PRIVATE KEY');
  });

  it('given a CA file that is not there, when the convoy service starts, then it refuses its configuration naming the variable', async () => {
    const service = await convoy({ NATS_TLS_CA_FILE: join(dir, 'missing-ca.pem') });
    expect(await service.exited()).toBe(2);
    expect(service.output()).toContain(`NATS_TLS_CA_FILE must be a readable file holding the PEM certificate of the CA that signed the NATS servers' certificates, got "${join(dir, 'missing-ca.pem')}"`);
  });
});
