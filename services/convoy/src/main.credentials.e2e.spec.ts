import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, natsOperatorMode, startNatsServer, startService, testNamespace, unknownAccountUserCreds, type NatsServerProcess } from '@gastown/testing';

/** The service process as an operator deploys it against a nats-server in operator (JWT) mode: NATS_URL and NATS_CREDS_FILE only. */
describe('convoy service process with NATS_CREDS_FILE', () => {
  let dir: string;
  let server: NatsServerProcess;
  let credsFile: string;
  let unknownAccountCredsFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gt-convoy-creds-'));
    const operator = await natsOperatorMode();
    credsFile = join(dir, 'convoy.creds');
    unknownAccountCredsFile = join(dir, 'stranger.creds');
    await writeFile(credsFile, await operator.userCreds('convoy'), { mode: 0o600 });
    await writeFile(unknownAccountCredsFile, await unknownAccountUserCreds('stranger'), { mode: 0o600 });
    server = await startNatsServer({ port: await freePort(), storeDir: dir, config: operator.config });
  });

  afterAll(async () => {
    await server?.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('given the .creds file of a user of the JetStream account, when the service starts, then it gets ready', async () => {
    const service = await startService('convoy', {
      env: { NATS_URL: server.url, GT_NAMESPACE: testNamespace(), NATS_CREDS_FILE: credsFile },
      readyText: 'convoy service ready',
    });
    await service.stop();
  });

  it('given the .creds file of a user whose account the operator never signed, when the service starts, then it says the server refused it and exits with 1', async () => {
    const service = await startService('convoy', { env: { NATS_URL: server.url, GT_NAMESPACE: testNamespace(), NATS_CREDS_FILE: unknownAccountCredsFile } });
    expect(await service.exited()).toBe(1);
    // Nest's own handler reports a provider that failed while the application was created.
    expect(service.output()).toContain('ERROR [ExceptionHandler] AuthorizationError: Authorization Violation');
  });
});
