import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretKeyring } from '@gastown/contracts';
import { DEFAULT_HEAVY_READS } from '../heavy-reads/heavy-reads.pool';
import { DEFAULT_FAIR_SHARE, GatewayConfigError, loadGatewayConfig } from './gateway.config';

const DATABASE_URL = 'postgres://gastown:secret@127.0.0.1:5432/gastown';
const GASTOWN_SECRETS_KEY = '22'.repeat(32);
const dashboard = mkdtempSync(join(tmpdir(), 'gt-dashboard-'));
writeFileSync(join(dashboard, 'index.html'), '<!doctype html>');

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadGatewayConfig(env);
  } catch (error) {
    if (error instanceof GatewayConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('gateway configuration', () => {
  it('given only DATABASE_URL, when loaded, then every other setting has its documented default', () => {
    expect(loadGatewayConfig({ DATABASE_URL, GASTOWN_SECRETS_KEY })).toEqual({
      host: '127.0.0.1',
      port: 4000,
      databaseUrl: DATABASE_URL,
      databasePoolMax: 10,
      migrations: 'run',
      natsUrl: 'nats://127.0.0.1:4222',
      namespace: 'gt',
      streamReplicas: 1,
      readModelWaitMs: 10_000,
      dashboardDir: null,
      secrets: expect.any(SecretKeyring),
      fairShare: DEFAULT_FAIR_SHARE,
      heavyReads: DEFAULT_HEAVY_READS,
    });
  });

  it('given every variable, when loaded, then each is used', () => {
    expect(
      loadGatewayConfig({
        DATABASE_URL,
        GASTOWN_SECRETS_KEY,
        NATS_USER: 'prod_eu-gateway',
        NATS_PASSWORD: 'pw',
        GATEWAY_HOST: '0.0.0.0',
        GATEWAY_PORT: '8080',
        NATS_URL: 'nats://10.0.0.1:4222,nats://10.0.0.2:4222',
        GT_NAMESPACE: 'prod_eu',
        GT_STREAM_REPLICAS: '3',
        DATABASE_POOL_MAX: '40',
        GATEWAY_MIGRATIONS: 'check',
        READ_MODEL_WAIT_MS: '2500',
        DASHBOARD_DIR: dashboard,
        CONVOY_MAX_TASKS: '500',
        GATEWAY_MAX_QUERY_COST: '50000',
        GATEWAY_QUERY_DEADLINE_MS: '2000',
        GATEWAY_QUERY_COST_BURST: '40000',
        GATEWAY_QUERY_COST_PER_SECOND: '4000',
        GATEWAY_HEAVY_QUERY_COST: '3000',
        GATEWAY_HEAVY_QUERIES_PER_TOWN: '2',
        GATEWAY_MUTATION_BURST: '10',
        GATEWAY_MUTATIONS_PER_SECOND: '2',
        GATEWAY_MAX_SUBSCRIPTIONS_PER_CONNECTION: '4',
        GATEWAY_MAX_SUBSCRIPTIONS_PER_TOWN: '8',
        GATEWAY_MAX_CONNECTIONS_PER_SOURCE: '3',
        CONVOY_MAX_EDGES: '2000',
        GASTOWN_MAX_RIGS_PER_TOWN: '7',
        GASTOWN_MAX_WEBHOOKS_PER_TOWN: '4',
        GATEWAY_HEAVY_READ_WORKERS: '2',
        GATEWAY_HEAVY_READ_HEAP_MB: '512',
        GATEWAY_HEAVY_READ_NICE: '0',
      }),
    ).toEqual({
      host: '0.0.0.0',
      port: 8080,
      databaseUrl: DATABASE_URL,
      databasePoolMax: 40,
      migrations: 'check',
      natsUrl: 'nats://10.0.0.1:4222,nats://10.0.0.2:4222',
      namespace: 'prod_eu',
      streamReplicas: 3,
      readModelWaitMs: 2500,
      dashboardDir: dashboard,
      natsCredentials: { user: 'prod_eu-gateway', password: 'pw', inboxPrefix: '_INBOX_prod_eu_gateway' },
      secrets: expect.any(SecretKeyring),
      fairShare: {
        maxTasks: 500,
        maxEdges: 2000,
        maxRigsPerTown: 7,
        maxWebhooksPerTown: 4,
        maxQueryCost: 50_000,
        queryDeadlineMs: 2000,
        queryCostBurst: 40_000,
        queryCostPerSecond: 4000,
        heavyQueryCost: 3000,
        heavyQueriesPerTown: 2,
        mutationBurst: 10,
        mutationsPerSecond: 2,
        maxSubscriptionsPerConnection: 4,
        maxSubscriptionsPerTown: 8,
        maxConnectionsPerSource: 3,
      },
      heavyReads: { workers: 2, heapMb: 512, nice: 0 },
    });
  });

  it('given GASTOWN_EGRESS_ALLOW, when loaded, then the webhook check at addWebhook gets the same list as the dispatcher, and a bad entry is named', () => {
    expect(loadGatewayConfig({ DATABASE_URL, GASTOWN_SECRETS_KEY, GASTOWN_EGRESS_ALLOW: '127.0.0.1:8080' }).egressAllow).toEqual([
      { kind: 'range', family: 4, prefix: [127, 0, 0, 1], bits: 32, port: 8080 },
    ]);
    expect(problemsOf({ DATABASE_URL, GASTOWN_SECRETS_KEY, GASTOWN_EGRESS_ALLOW: '10.0.0.0/99' })).toEqual([
      expect.stringMatching(/^GASTOWN_EGRESS_ALLOW entry "10\.0\.0\.0\/99" has a prefix length above 32/),
    ]);
  });

  it('given empty variables, when loaded, then they count as unset', () => {
    expect(loadGatewayConfig({ DATABASE_URL, GASTOWN_SECRETS_KEY, GATEWAY_PORT: '', GT_NAMESPACE: '' })).toMatchObject({ port: 4000, namespace: 'gt' });
  });

  it('given a DASHBOARD_DIR without a built dashboard, when loaded, then it says what to build', () => {
    expect(problemsOf({ DATABASE_URL, GASTOWN_SECRETS_KEY, DASHBOARD_DIR: '/nonexistent/dashboard' })).toEqual([
      'DASHBOARD_DIR must be a built dashboard holding index.html (nx build dashboard writes dist/apps/dashboard/browser); /nonexistent/dashboard holds none',
    ]);
  });

  it.each([
    [{ DATABASE_POOL_MAX: '0' }, 'DATABASE_POOL_MAX must be a whole number from 1 to 1000, got "0"'],
    [{ GATEWAY_MIGRATIONS: 'auto' }, 'GATEWAY_MIGRATIONS must be "run" (the default: at start, one replica at a time), "skip" (the migrations Job runs them) or "check" (refuse to start while any is pending)'],
  ])('given %j, when loaded, then it is refused naming the accepted values', (env, message) => {
    expect(problemsOf({ DATABASE_URL, GASTOWN_SECRETS_KEY, ...env })).toEqual([message]);
  });

  it('given no DATABASE_URL, when loaded, then the message says it is required', () => {
    expect(problemsOf({})).toEqual(['DATABASE_URL is required: a postgres:// URL, e.g. postgres://user@127.0.0.1:5432/gastown']);
  });

  it.each([
    ['0', 'GATEWAY_PORT must be a whole number from 1 to 65535, got "0"'],
    ['65536', 'GATEWAY_PORT must be a whole number from 1 to 65535, got "65536"'],
    ['80.5', 'GATEWAY_PORT must be a whole number from 1 to 65535, got "80.5"'],
    ['http', 'GATEWAY_PORT must be a whole number from 1 to 65535, got "http"'],
  ])('given GATEWAY_PORT=%s, when loaded, then it is refused by name', (port, message) => {
    expect(problemsOf({ DATABASE_URL, GATEWAY_PORT: port })).toEqual([message]);
  });

  it.each(['::', '::1', '10.0.0.5', 'localhost', 'gateway.gastown.svc.cluster.local'])(
    'given GATEWAY_HOST=%s, when loaded, then the gateway listens there',
    (host) => {
      expect(loadGatewayConfig({ DATABASE_URL, GASTOWN_SECRETS_KEY, GATEWAY_HOST: host })).toMatchObject({ host });
    },
  );

  it.each(['0.0.0.0:4000', 'http://0.0.0.0', '[::]', 'my host', '-gateway', `${'a'.repeat(64)}.example`])(
    'given GATEWAY_HOST=%s, when loaded, then it is refused by name with what it takes',
    (host) => {
      expect(problemsOf({ DATABASE_URL, GASTOWN_SECRETS_KEY, GATEWAY_HOST: host })).toEqual([
        'GATEWAY_HOST must be an IP address or a host name to listen on, without scheme or port ' +
          `(0.0.0.0 every IPv4 interface, :: every interface, 127.0.0.1 this machine only; got "${host}")`,
      ]);
    },
  );

  it('given several bad values, when loaded, then there is one message per value and no secret is echoed', () => {
    const problems = problemsOf({
      DATABASE_URL: 'mysql://root:hunter2@db/gastown',
      GATEWAY_PORT: '-1',
      NATS_URL: 'http://nats:4222',
      GT_NAMESPACE: 'Prod',
      READ_MODEL_WAIT_MS: 'soon',
    });
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).not.toContain('hunter2');
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^DATABASE_URL must be a postgres:\/\//),
        expect.stringMatching(/^GATEWAY_PORT /),
        expect.stringMatching(/^NATS_URL must be a nats:\/\//),
        expect.stringMatching(/^GT_NAMESPACE /),
        expect.stringMatching(/^READ_MODEL_WAIT_MS /),
      ]),
    );
  });

  it('given no GASTOWN_SECRETS_KEY, or a NATS user without its password, when loaded, then the gateway refuses to start naming the variable and no value', () => {
    expect(problemsOf({ DATABASE_URL })).toEqual([expect.stringMatching(/^GASTOWN_SECRETS_KEY is required: 32 bytes/)]);
    expect(problemsOf({ DATABASE_URL, GASTOWN_SECRETS_KEY: 'hunter2' })).toEqual([expect.stringMatching(/^GASTOWN_SECRETS_KEY must be 32 bytes/)]);
    expect(problemsOf({ DATABASE_URL, GASTOWN_SECRETS_KEY, NATS_USER: 'gt-gateway' })).toEqual(['NATS_PASSWORD is required with NATS_USER']);
  });

  it.each([
    ['GATEWAY_MAX_QUERY_COST', '0', 'GATEWAY_MAX_QUERY_COST must be a whole number from 1 to 1000000000000, got "0"'],
    ['GATEWAY_QUERY_DEADLINE_MS', 'forever', 'GATEWAY_QUERY_DEADLINE_MS must be a whole number from 1 to 600000, got "forever"'],
    ['GATEWAY_MUTATIONS_PER_SECOND', '-5', 'GATEWAY_MUTATIONS_PER_SECOND must be a whole number from 1 to 1000000, got "-5"'],
    ['GATEWAY_MAX_SUBSCRIPTIONS_PER_TOWN', '1.5', 'GATEWAY_MAX_SUBSCRIPTIONS_PER_TOWN must be a whole number from 1 to 100000, got "1.5"'],
  ])('given %s=%s, when loaded, then the fair-share limit is refused by name', (name, value, message) => {
    expect(problemsOf({ DATABASE_URL, [name]: value })).toEqual([message]);
  });

  it('given a DATABASE_URL without a database name, when loaded, then it asks for one', () => {
    expect(problemsOf({ DATABASE_URL: 'postgres://127.0.0.1:5432', GASTOWN_SECRETS_KEY })).toEqual([
      'DATABASE_URL must name a database, e.g. postgres://user@127.0.0.1:5432/gastown',
    ]);
  });
});
