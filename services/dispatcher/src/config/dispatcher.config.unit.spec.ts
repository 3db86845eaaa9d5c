import { hostname } from 'node:os';
import { SecretKeyring } from '@gastown/contracts';
import { loadDispatcherConfig } from './dispatcher.config';
import { redactUrl } from '@gastown/service-runtime';

const KEY = { GASTOWN_SECRETS_KEY: '11'.repeat(32) };

describe('dispatcher configuration', () => {
  it('given an empty environment, when loaded, then the documented defaults apply', () => {
    expect(loadDispatcherConfig(KEY)).toEqual({
      natsUrl: 'nats://127.0.0.1:4222',
      natsCredentials: undefined,
      namespace: 'gt',
      streamReplicas: 1,
      dispatcherId: `${hostname()}-${process.pid}`,
      maxAgentsPerTown: 16,
      agentSlots: 0,
      retryBaseMs: 2_000,
      retryMaxMs: 60_000,
      payloadReadTimeoutMs: 30_000,
      readAttempts: 3,
      startDeadlineMs: 15_000,
      maxRepublishes: 2,
      webhooks: { maxAttempts: 8, retryBaseMs: 5_000, retryMaxMs: 600_000, timeoutMs: 10_000, concurrency: 8, secrets: expect.any(SecretKeyring) },
    });
  });

  it('given every value set, when loaded, then each is used', () => {
    expect(
      loadDispatcherConfig({
        ...KEY,
        NATS_URL: 'nats://a:4222,nats://b:4222',
        NATS_USER: 'gt-dispatcher',
        NATS_PASSWORD: 'pw',
        GT_NAMESPACE: 'prod',
        GT_STREAM_REPLICAS: '3',
        DISPATCHER_ID: 'dispatcher-1',
        DISPATCHER_MAX_AGENTS_PER_TOWN: '40',
        DISPATCHER_AGENT_SLOTS: '12',
        DISPATCHER_RETRY_BASE_MS: '500',
        DISPATCHER_RETRY_MAX_MS: '30000',
        DISPATCHER_WEBHOOK_MAX_ATTEMPTS: '3',
        DISPATCHER_WEBHOOK_RETRY_BASE_MS: '100',
        DISPATCHER_WEBHOOK_RETRY_MAX_MS: '400',
        DISPATCHER_WEBHOOK_TIMEOUT_MS: '2000',
        DISPATCHER_WEBHOOK_CONCURRENCY: '2',
        DISPATCHER_PAYLOAD_READ_TIMEOUT_MS: '5000',
        DISPATCHER_READ_ATTEMPTS: '2',
        DISPATCHER_START_DEADLINE_MS: '3000',
        DISPATCHER_MAX_REPUBLISHES: '0',
      }),
    ).toEqual({
      natsUrl: 'nats://a:4222,nats://b:4222',
      natsCredentials: { user: 'gt-dispatcher', password: 'pw', inboxPrefix: '_INBOX_prod_dispatcher' },
      namespace: 'prod',
      streamReplicas: 3,
      dispatcherId: 'dispatcher-1',
      maxAgentsPerTown: 40,
      agentSlots: 12,
      retryBaseMs: 500,
      retryMaxMs: 30_000,
      payloadReadTimeoutMs: 5_000,
      readAttempts: 2,
      startDeadlineMs: 3_000,
      maxRepublishes: 0,
      webhooks: { maxAttempts: 3, retryBaseMs: 100, retryMaxMs: 400, timeoutMs: 2_000, concurrency: 2, secrets: expect.any(SecretKeyring) },
    });
  });

  it('given several bad values, when loaded, then each one is named in its own line', () => {
    const load = () =>
      loadDispatcherConfig({
        NATS_URL: 'localhost',
        GT_NAMESPACE: 'Bad NS',
        DISPATCHER_MAX_AGENTS_PER_TOWN: '0',
        DISPATCHER_AGENT_SLOTS: '-1',
        DISPATCHER_RETRY_BASE_MS: 'soon',
        DISPATCHER_ID: 'two words',
        DISPATCHER_PAYLOAD_READ_TIMEOUT_MS: '10',
        DISPATCHER_START_DEADLINE_MS: '100',
      });
    expect(load).toThrow(/NATS_URL must be a nats:\/\/ or tls:\/\/ URL with a host/);
    expect(load).toThrow(/\n {2}- GT_NAMESPACE must be/);
    expect(load).toThrow(/\n {2}- DISPATCHER_MAX_AGENTS_PER_TOWN must be a positive whole number, got "0"/);
    expect(load).toThrow(/\n {2}- DISPATCHER_AGENT_SLOTS must be a whole number from 0 to 100000, got "-1"/);
    expect(load).toThrow(/\n {2}- DISPATCHER_RETRY_BASE_MS must be a whole number from 1 to 86400000 ms, got "soon"/);
    expect(load).toThrow(/\n {2}- DISPATCHER_ID must be/);
    expect(load).toThrow(/\n {2}- DISPATCHER_PAYLOAD_READ_TIMEOUT_MS must be a whole number from 100 to 600000 ms, got "10"/);
    expect(load).toThrow(/\n {2}- DISPATCHER_START_DEADLINE_MS must be a whole number from 500 to 86400000 ms, got "100"/);
  });

  it('given a maximum back-off below the base, when loaded, then both values are named', () => {
    expect(() => loadDispatcherConfig({ ...KEY, DISPATCHER_RETRY_BASE_MS: '5000', DISPATCHER_RETRY_MAX_MS: '100' })).toThrow(
      /DISPATCHER_RETRY_MAX_MS \(100\) must not be below DISPATCHER_RETRY_BASE_MS \(5000\)/,
    );
  });

  it('given a webhook back-off cap below its base, when loaded, then both values are named', () => {
    expect(() => loadDispatcherConfig({ ...KEY, DISPATCHER_WEBHOOK_RETRY_BASE_MS: '5000', DISPATCHER_WEBHOOK_RETRY_MAX_MS: '100' })).toThrow(
      /DISPATCHER_WEBHOOK_RETRY_MAX_MS \(100\) must not be below DISPATCHER_WEBHOOK_RETRY_BASE_MS \(5000\)/,
    );
  });

  it('given a webhook timeout of 50 ms, when loaded, then the allowed range is named', () => {
    expect(() => loadDispatcherConfig({ ...KEY, DISPATCHER_WEBHOOK_TIMEOUT_MS: '50' })).toThrow(
      /DISPATCHER_WEBHOOK_TIMEOUT_MS must be a whole number from 100 to 120000 ms, got "50"/,
    );
  });

  it('given a back-off longer than a day, when loaded, then it is refused', () => {
    expect(() => loadDispatcherConfig({ ...KEY, DISPATCHER_RETRY_MAX_MS: '999999999999' })).toThrow(
      /DISPATCHER_RETRY_MAX_MS must be a whole number from 1 to 86400000 ms, got "999999999999"/,
    );
  });

  it('given no GASTOWN_SECRETS_KEY, when loaded, then the dispatcher refuses to start, naming the variable', () => {
    expect(() => loadDispatcherConfig({})).toThrow(/GASTOWN_SECRETS_KEY is required/);
  });

  it('given server URLs with credentials, when prepared for a log line, then the secrets are gone', () => {
    const line = redactUrl('nats://alice:s3cret@nats-1:4222,nats://bob:hunter2@nats-2:4222');
    expect(line).not.toMatch(/s3cret|hunter2|alice|bob/);
    expect(line).toContain('nats-1:4222');
    expect(line).toContain('nats-2:4222');
  });

  it('given an egress allow-list, when loaded, then webhooks may reach those inside addresses and a bad entry is named', () => {
    expect(loadDispatcherConfig({ ...KEY, GASTOWN_EGRESS_ALLOW: '127.0.0.1:8080' }).webhooks.egressAllow).toEqual([
      { kind: 'range', family: 4, prefix: [127, 0, 0, 1], bits: 32, port: 8080 },
    ]);
    expect(() => loadDispatcherConfig({ ...KEY, GASTOWN_EGRESS_ALLOW: '10.0.0.0/99' })).toThrow(
      /GASTOWN_EGRESS_ALLOW entry "10\.0\.0\.0\/99" has a prefix length above 32/,
    );
  });
});
