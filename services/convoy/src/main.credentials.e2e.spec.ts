import { startOperatorModeNats, startService, testNamespace, type OperatorModeNats } from '@gastown/testing';

/** The service process as an operator deploys it against a nats-server in operator (JWT) mode: NATS_URL and NATS_CREDS_FILE only. */
describe('convoy service process with NATS_CREDS_FILE', () => {
  let nats: OperatorModeNats;

  beforeAll(async () => {
    nats = await startOperatorModeNats('convoy');
  });

  afterAll(async () => {
    await nats?.stop();
  });

  it('given the .creds file of a user of the JetStream account, when the service starts, then it gets ready', async () => {
    const service = await startService('convoy', {
      env: { NATS_URL: nats.server.url, GT_NAMESPACE: testNamespace(), NATS_CREDS_FILE: nats.credsFile },
      readyText: 'convoy service ready',
    });
    await service.stop();
  });

  it('given the .creds file of a user whose account the operator never signed, when the service starts, then it says the server refused it and exits with 1', async () => {
    const service = await startService('convoy', { env: { NATS_URL: nats.server.url, GT_NAMESPACE: testNamespace(), NATS_CREDS_FILE: nats.unknownAccountCredsFile } });
    expect(await service.exited()).toBe(1);
    // Nest's own handler reports a provider that failed while the application was created.
    expect(service.output()).toContain('ERROR [ExceptionHandler] AuthorizationError: Authorization Violation');
  });
});
