import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bus, CommandClient, connectBus, deleteTopology, EventStore, type NatsCredentials } from '@gastown/bus';
import { CommandReply, generateTownToken, GastownEvent, hashTownToken } from '@gastown/contracts';
import {
  createTestDatabase,
  eventually,
  freePort,
  startService,
  TEST_NATS_URL,
  testNamespace,
  type ServiceProcess,
  type TestDatabase,
} from '@gastown/testing';
import { OriginRepository } from './origin.repository';

export interface HarnessOptions {
  /** Replicas of each service, as separate processes; one of each by default. */
  convoys?: number;
  gateways?: number;
  dispatchers?: number;
  runners?: number;
  /** Extra environment for every service (attempt budgets, timeouts). */
  env?: Record<string, string>;
  /** The namespace to run in; a fresh one by default. */
  namespace?: string;
  /**
   * Another NATS server than the shared one, e.g. an authenticating one: the harness connects
   * with the operator's credentials and each service gets its own environment (its NATS user).
   * `url` may list a cluster's servers, comma-separated, as NATS_URL does.
   */
  nats?: { url: string; operator?: NatsCredentials; serviceEnv?: (service: string) => Record<string, string> };
  /**
   * Runs each service from its build, `node dist/services/<service>/main.js` as production does,
   * instead of from its sources; `nodeArgs` go to node before the script. The build must exist.
   */
  built?: { nodeArgs?: string[] };
}

export interface GqlError {
  message: string;
  extensions?: { code?: string; errors?: { path: (string | number)[]; message: string }[] };
}

export interface OtherTown {
  readonly token: string;
  readonly townId: string;
  gqlRaw<T>(query: string, variables?: Record<string, unknown>): Promise<{ data?: T; errors?: GqlError[] }>;
  /** The data of an answer without errors; throws with the errors otherwise. */
  gql<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
}

/**
 * The whole system as `npm start` runs it — convoy service, gateway, dispatchers and
 * git-runners as real processes — on a namespace and database of its own.
 */
export class SystemHarness {
  readonly processes = new Map<string, ServiceProcess>();
  private readonly origins: OriginRepository[] = [];
  /** The town's bearer token, for clients under test that run as their own processes. */
  token = '';
  townId = '';
  private serviceEnv: (service: string) => Record<string, string> = () => ({});
  private built: HarnessOptions['built'];
  /** Each gateway replica's port, kept across its restarts; replica 1 listens on GATEWAY_PORT. */
  private readonly gatewayPorts = new Map<number, number>();
  /** The gateway replica the next GraphQL request tries first: requests take turns, as behind a load balancer. */
  private gatewayTurn = 0;

  private constructor(
    readonly namespace: string,
    readonly db: TestDatabase,
    readonly bus: Bus,
    readonly env: Record<string, string>,
    readonly dataDir: string,
    readonly url: string,
  ) {}

  static async start(options: HarnessOptions = {}): Promise<SystemHarness> {
    const namespace = options.namespace ?? testNamespace();
    const natsUrl = options.nats?.url ?? TEST_NATS_URL;
    const db = await createTestDatabase();
    const port = await freePort();
    const env = {
      NATS_URL: natsUrl,
      GT_NAMESPACE: namespace,
      DATABASE_URL: db.url,
      GATEWAY_PORT: String(port),
      GIT_RUNNER_ACK_WAIT_MS: '3000',
      // A stop gives agents this long to finish, inside the test processes' 10 s stop grace.
      GIT_RUNNER_DRAIN_MS: '2000',
      DISPATCHER_RETRY_BASE_MS: '200',
      DISPATCHER_RETRY_MAX_MS: '1000',
      // Origins are temporary bare repositories; webhook receivers listen on loopback.
      GASTOWN_LOCAL_REPO_ROOTS: tmpdir(),
      GASTOWN_EGRESS_ALLOW: '127.0.0.1',
      ...options.env,
    };
    const bus = await connectBus({
      servers: natsUrl,
      namespace,
      name: 'system-e2e',
      logger: { info: () => undefined, warn: () => undefined, error: console.error },
      credentials: options.nats?.operator,
    });
    const harness = new SystemHarness(namespace, db, bus, env, mkdtempSync(join(tmpdir(), 'gt-system-')), `http://127.0.0.1:${port}/graphql`);
    if (options.nats?.serviceEnv) harness.serviceEnv = options.nats.serviceEnv;
    harness.built = options.built;
    harness.gatewayPorts.set(1, port);
    for (let i = 2; i <= (options.gateways ?? 1); i++) harness.gatewayPorts.set(i, await freePort());
    try {
      // The first of each starts alone: every service ensures the topology, and on a fresh cluster that is quicker done once.
      await Promise.all([harness.startProcess('convoy'), harness.startProcess('gateway')]);
      const starts: Promise<ServiceProcess>[] = [];
      for (let i = 2; i <= (options.convoys ?? 1); i++) starts.push(harness.startProcess('convoy', i));
      for (let i = 2; i <= (options.gateways ?? 1); i++) starts.push(harness.startProcess('gateway', i));
      for (let i = 1; i <= (options.dispatchers ?? 1); i++) starts.push(harness.startProcess('dispatcher', i));
      for (let i = 1; i <= (options.runners ?? 1); i++) starts.push(harness.startProcess('git-runner', i));
      await Promise.all(starts);
      await harness.createTown();
    } catch (error) {
      await harness.close();
      throw error;
    }
    return harness;
  }

  /** Starts (or restarts) one replica; its name is `<service>-<n>`. */
  async startProcess(service: string, replica = 1): Promise<ServiceProcess> {
    const name = `${service}-${replica}`;
    const env: Record<string, string> = { ...this.env, ...this.serviceEnv(service) };
    if (service === 'git-runner') {
      env['GIT_RUNNER_ID'] = name;
      env['GIT_RUNNER_DATA_DIR'] = join(this.dataDir, name);
    }
    if (service === 'dispatcher') env['DISPATCHER_ID'] = name;
    if (service === 'gateway') env['GATEWAY_PORT'] = String(this.gatewayPorts.get(replica) ?? this.env['GATEWAY_PORT']);
    const ready = service === 'gateway' ? 'gateway ready' : `${service === 'convoy' ? 'convoy service' : service} ready`;
    const started = await startService(service, {
      env,
      readyText: ready,
      timeoutMs: 60_000,
      ...(this.built ? { script: join('dist', 'services', service, 'main.js'), nodeArgs: this.built.nodeArgs } : {}),
    });
    this.processes.set(name, started);
    return started;
  }

  /** A fresh origin repository for a rig; removed with the harness. */
  origin(): OriginRepository {
    const repo = new OriginRepository();
    this.origins.push(repo);
    return repo;
  }

  process(name: string): ServiceProcess {
    const found = this.processes.get(name);
    if (!found) throw new Error(`no process ${name}`);
    return found;
  }

  async kill(name: string): Promise<void> {
    const victim = this.process(name);
    victim.child.kill('SIGKILL');
    await victim.exited();
  }

  private async createTown(): Promise<void> {
    const town = await this.addTown('system e2e');
    this.token = town.token;
    this.townId = town.townId;
  }

  /** Another town on the same system, with its own token: a neighbour, or a hostile tenant. */
  async addTown(name: string): Promise<OtherTown> {
    const token = generateTownToken();
    const townId = randomUUID();
    const reply = await new CommandClient(this.bus).request<CommandReply>(this.bus.names.commands.town, {
      type: 'CreateTown',
      commandId: randomUUID(),
      townId,
      actor: { kind: 'user', id: 'system-e2e' },
      data: { name, tokenHash: hashTownToken(token) },
    });
    if (!reply.ok) throw new Error(reply.error.message);
    const gqlRaw = <T>(query: string, variables: Record<string, unknown> = {}) => this.gqlAs<T>(token, query, variables);
    const town: OtherTown = { token, townId, gqlRaw, gql: async (query, variables) => dataOf(await gqlRaw(query, variables)) };
    await eventually('the gateway to know the town', async () => (await town.gqlRaw<{ town: { id: string } }>('{ town { id } }')).data?.town);
    return town;
  }

  async gqlRaw<T>(query: string, variables: Record<string, unknown> = {}): Promise<{ data?: T; errors?: GqlError[] }> {
    return this.gqlAs(this.token, query, variables);
  }

  /** The GraphQL endpoints of every gateway replica, replica 1 first. */
  gatewayUrls(): string[] {
    return [...this.gatewayPorts.keys()].sort((a, b) => a - b).map((replica) => `http://127.0.0.1:${this.gatewayPorts.get(replica)}/graphql`);
  }

  /** Sent to the gateway replicas in turn; a replica that refuses the connection (killed, restarting) passes it to the next. */
  private async gqlAs<T>(token: string, query: string, variables: Record<string, unknown>): Promise<{ data?: T; errors?: GqlError[] }> {
    const urls = this.gatewayUrls();
    const first = this.gatewayTurn++;
    for (let tried = 0; ; tried++) {
      const url = urls[(first + tried) % urls.length] as string;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query, variables }),
        });
        return (await response.json()) as { data?: T; errors?: GqlError[] };
      } catch (error) {
        if (tried + 1 >= urls.length) throw error;
      }
    }
  }

  async gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    return dataOf(await this.gqlRaw<T>(query, variables));
  }

  async registerRig(name: string, gitUrl: string, config: Record<string, unknown> = {}): Promise<string> {
    const { registerRig } = await this.gql<{ registerRig: { id: string } }>(
      'mutation ($input: RegisterRigInput!) { registerRig(input: $input) { id } }',
      { input: { name, gitUrl, defaultBranch: 'main', config } },
    );
    return registerRig.id;
  }

  async slingBatch(input: Record<string, unknown>): Promise<ConvoyRead> {
    const { slingBatch } = await this.gql<{ slingBatch: ConvoyRead }>(
      `mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { ${CONVOY_FIELDS} } }`,
      { input },
    );
    return slingBatch;
  }

  async convoy(id: string): Promise<ConvoyRead> {
    return (await this.gql<{ convoy: ConvoyRead }>(`query ($id: ID!) { convoy(id: $id) { ${CONVOY_FIELDS} } }`, { id })).convoy;
  }

  /** Waits on the read model until the convoy reaches one of `statuses`. */
  async until(id: string, statuses: string[], timeoutMs = 120_000): Promise<ConvoyRead> {
    return eventually(
      `convoy ${id} to reach ${statuses.join('/')}`,
      async () => {
        const convoy = await this.convoy(id);
        return statuses.includes(convoy.status) ? convoy : null;
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  async events(convoyId: string): Promise<GastownEvent[]> {
    const commits = await new EventStore(this.bus).readSubject(this.bus.names.convoyEvents(this.townId, convoyId));
    return commits.flatMap((c) => c.events);
  }

  async close(): Promise<void> {
    await Promise.all([...this.processes.values()].map((p) => p.stop()));
    await deleteTopology(this.bus).catch(() => undefined);
    for (const bucket of [`KV_${this.namespace}-claims`]) await this.bus.jsm.streams.delete(bucket).catch(() => undefined);
    await this.bus.close();
    await this.db.drop();
    rmSync(this.dataDir, { recursive: true, force: true });
    for (const repo of this.origins) repo.remove();
  }
}

function dataOf<T>(answer: { data?: T; errors?: GqlError[] }): T {
  if (answer.errors?.length || !answer.data) throw new Error(`GraphQL error: ${JSON.stringify(answer.errors)}`);
  return answer.data;
}

export const CONVOY_FIELDS = `id title status mergeMode featureBranch landedCommit failureReason
  progress { total open inProgress inReview closed failed cancelled blocked }
  beads { id index title status attemptCount assignee branch headCommit mergeCommit lastReason blocked blockedReason }`;

export interface BeadRead {
  id: string;
  index: number;
  title: string;
  status: string;
  attemptCount: number;
  assignee: string | null;
  branch: string | null;
  headCommit: string | null;
  mergeCommit: string | null;
  lastReason: string | null;
  blocked: boolean;
  blockedReason: string | null;
}

export interface ConvoyRead {
  id: string;
  title: string;
  status: string;
  mergeMode: string;
  featureBranch: string | null;
  landedCommit: string | null;
  failureReason: string | null;
  progress: Record<string, number>;
  beads: BeadRead[];
}
