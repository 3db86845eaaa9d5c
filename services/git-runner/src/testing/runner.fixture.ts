import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandClient, connectBus, deleteTopology, EventStore, type Bus } from '@gastown/bus';
import {
  beadIdFor,
  CommandReply,
  convoyIdFor,
  generateTownToken,
  hashTownToken,
  jobId,
  type GastownEvent,
  type Job,
  type RigConfigInput,
} from '@gastown/contracts';
import { createTestDatabase, eventually, freePort, startService, TEST_NATS_URL, testNamespace, type ServiceProcess, type TestDatabase } from '@gastown/testing';
import { createOrigin, type OriginFixture } from '../git/testing/origin.fixture';
import { leaseBucket } from '../lease/rig.lease';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface TestRig {
  rigId: string;
  name: string;
  origin: OriginFixture;
}

/** What a GraphQL client reads of a convoy a close may not have stopped. */
export interface ClosedConvoyRead {
  status: string;
  mergesUnderWay: { id: string; status: string; mergeUnderWay: boolean }[];
  landingsUnderWay: { rigId: string; status: string }[];
  landings: { rigId: string; status: string; commit: string | null }[];
  beads: { id: string; status: string; mergeUnderWay: boolean }[];
}

const CLOSED_CONVOY_FIELDS = `status mergesUnderWay { id status mergeUnderWay } landingsUnderWay { rigId status }
  landings { rigId status commit } beads { id status mergeUnderWay }`;

/** The gateway a fixture may run, so a spec reads and closes as a user does. */
interface FixtureGateway {
  process: ServiceProcess;
  db: TestDatabase;
  url: string;
}

export interface DispatchedBead {
  beadId: string;
  attempt: number;
  branch: string;
  baseBranch: string;
}

/**
 * A namespace of its own with the real convoy service and git-runner processes, driven the way
 * the dispatcher drives them: commands to the convoy service, jobs on the jobs stream.
 */
export class RunnerFixture {
  readonly runners = new Map<string, ServiceProcess>();
  readonly origins: OriginFixture[] = [];
  private readonly client: CommandClient;
  private readonly store: EventStore;
  private convoyService: ServiceProcess | undefined;
  private gateway: FixtureGateway | undefined;
  /** The town's bearer token, for the gateway. */
  private readonly token = generateTownToken();
  private rigCount = 0;

  private constructor(
    readonly bus: Bus,
    readonly townId: string,
    /** Every runner's data directory lives under it. */
    readonly root: string,
    readonly env: Record<string, string>,
  ) {
    this.client = new CommandClient(bus);
    this.store = new EventStore(bus);
  }

  /** With `gateway`, a gateway process on a database of its own, for specs that close and read as a user (closeConvoy, convoy). */
  static async start(env: Record<string, string> = {}, options: { gateway?: boolean } = {}): Promise<RunnerFixture> {
    const namespace = testNamespace();
    const bus = await connectBus({ servers: TEST_NATS_URL, namespace, name: 'git-runner-spec', logger: silent });
    const fixture = new RunnerFixture(bus, randomUUID(), mkdtempSync(join(tmpdir(), 'gt-runner-spec-')), {
      NATS_URL: TEST_NATS_URL,
      GT_NAMESPACE: namespace,
      GIT_RUNNER_ACK_WAIT_MS: '3000',
      // A stop gives agents this long to finish, inside the test processes' 10 s stop grace.
      GIT_RUNNER_DRAIN_MS: '2000',
      // Origins are temporary bare repositories.
      GASTOWN_LOCAL_REPO_ROOTS: tmpdir(),
      ...env,
    });
    try {
      fixture.convoyService = await startService('convoy', { env: fixture.env, readyText: 'convoy service ready' });
      if (options.gateway) await fixture.startGateway();
      await fixture.town('CreateTown', { name: 'runner spec', tokenHash: hashTownToken(fixture.token) });
      if (options.gateway) await eventually('the gateway to know the town', async () => (await fixture.gqlRaw<{ town: { id: string } }>('{ town { id } }')).data?.town);
    } catch (error) {
      await fixture.close();
      throw error;
    }
    return fixture;
  }

  /** Starts a git-runner replica named `name`, with a data directory of its own (kept across restarts). */
  async startRunner(name: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
    const runner = await startService('git-runner', {
      env: { ...this.env, GIT_RUNNER_ID: name, GIT_RUNNER_DATA_DIR: this.dataDir(name), ...env },
      readyText: 'git-runner ready',
    });
    this.runners.set(name, runner);
    return runner;
  }

  dataDir(runner: string): string {
    return join(this.root, runner);
  }

  /** Where the runner keeps its files for this namespace (see DataLayout). */
  runnerRoot(runner: string): string {
    return join(this.dataDir(runner), this.bus.names.namespace);
  }

  async registerRig(config: RigConfigInput = {}): Promise<TestRig> {
    const origin = createOrigin();
    this.origins.push(origin);
    const rigId = randomUUID();
    const name = `rig-${++this.rigCount}`;
    await this.town('RegisterRig', { rigId, name, gitUrl: origin.url, defaultBranch: 'main', config });
    return { rigId, name, origin };
  }

  /** A started convoy; its beads are the tasks in order. */
  async sling(
    rig: TestRig,
    tasks: { title: string; body?: string; dependsOn?: number[]; rigId?: string }[],
    options: { title?: string; mergeMode?: 'REVIEW_THEN_LAND' | 'REVIEW_AND_MERGE'; parallel?: boolean } = {},
  ): Promise<{ convoyId: string; beadIds: string[] }> {
    const commandId = randomUUID();
    const convoyId = convoyIdFor(this.townId, commandId);
    const { title = 'Runner spec', mergeMode, parallel } = options;
    await this.command('SlingBatch', convoyId, { title, defaultRigId: rig.rigId, mergeMode, parallel, tasks }, commandId);
    return { convoyId, beadIds: tasks.map((_, index) => beadIdFor(convoyId, index)) };
  }

  /** Dispatches a ready bead as the dispatcher would, and returns where its work goes. */
  async dispatch(convoyId: string, beadId: string, agentName = 'furiosa'): Promise<DispatchedBead> {
    await this.command('DispatchBead', convoyId, { beadId, agent: { id: `agent-${agentName}`, name: agentName } });
    const dispatched = (await this.events(convoyId)).filter((e) => e.type === 'BeadDispatched' && e.data.beadId === beadId).pop();
    if (dispatched?.type !== 'BeadDispatched') throw new Error(`bead ${beadId} was not dispatched`);
    const { attempt, branch, baseBranch } = dispatched.data;
    return { beadId, attempt, branch, baseBranch };
  }

  /** The convoy's feature branch on the rig (review-then-land). */
  async featureBranch(convoyId: string, rigId: string): Promise<string> {
    const created = (await this.events(convoyId)).find((e) => e.type === 'ConvoyCreated');
    const branch = created?.type === 'ConvoyCreated' ? created.data.featureBranches.find((f) => f.rigId === rigId)?.branch : undefined;
    if (!branch) throw new Error(`convoy ${convoyId} has no feature branch on rig ${rigId}`);
    return branch;
  }

  /** Sends a convoy command and fails the test when it is refused. */
  async command(type: string, convoyId: string, data: Record<string, unknown>, commandId = randomUUID()): Promise<Extract<CommandReply, { ok: true }>['result']> {
    const reply = await this.client.request<CommandReply>(this.bus.names.commands.convoy, {
      type,
      commandId,
      townId: this.townId,
      convoyId,
      actor: { kind: 'user', id: 'runner-spec' },
      data,
    });
    if (!reply.ok) throw new Error(`${type} refused: ${reply.error.code} ${reply.error.message}`);
    return reply.result;
  }

  /** Closes the convoy as a user does, through GraphQL; the answer names the merges and landings already under way. */
  async closeConvoy(convoyId: string): Promise<ClosedConvoyRead> {
    const mutation = `mutation ($id: ID!) { closeConvoy(id: $id, reason: "plan changed") { ${CLOSED_CONVOY_FIELDS} } }`;
    return (await this.gql<{ closeConvoy: ClosedConvoyRead }>(mutation, { id: convoyId })).closeConvoy;
  }

  /** The convoy as a GraphQL client reads it now. */
  async convoy(convoyId: string): Promise<ClosedConvoyRead> {
    return (await this.gql<{ convoy: ClosedConvoyRead }>(`query ($id: ID!) { convoy(id: $id) { ${CLOSED_CONVOY_FIELDS} } }`, { id: convoyId })).convoy;
  }

  private async startGateway(): Promise<void> {
    const db = await createTestDatabase();
    const port = await freePort();
    try {
      const gateway = await startService('gateway', { env: { ...this.env, DATABASE_URL: db.url, GATEWAY_PORT: String(port) }, readyText: 'gateway ready', timeoutMs: 60_000 });
      this.gateway = { process: gateway, db, url: `http://127.0.0.1:${port}/graphql` };
    } catch (error) {
      await db.drop();
      throw error;
    }
  }

  private async gqlRaw<T>(query: string, variables: Record<string, unknown> = {}): Promise<{ data?: T; errors?: unknown[] }> {
    if (!this.gateway) throw new Error('this fixture runs no gateway: start it with { gateway: true }');
    const response = await fetch(this.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data?: T; errors?: unknown[] };
  }

  private async gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const answer = await this.gqlRaw<T>(query, variables);
    if (answer.errors?.length || !answer.data) throw new Error(`GraphQL error: ${JSON.stringify(answer.errors)}`);
    return answer.data;
  }

  /** Publishes a job like the dispatcher; `msgID` other than the job id makes a duplicate the server does not catch. */
  async publish(job: Job, msgID = jobId(job)): Promise<void> {
    await this.bus.js.publish(this.bus.names.job(job.kind, job.rigId), JSON.stringify(job), { msgID });
  }

  /** Jobs on the stream that no runner has acknowledged yet. */
  async pendingJobs(): Promise<number> {
    return (await this.bus.jsm.streams.info(this.bus.names.jobStream)).state.messages;
  }

  async events(convoyId: string): Promise<GastownEvent[]> {
    return (await this.store.readSubject(this.bus.names.convoyEvents(this.townId, convoyId))).flatMap((commit) => commit.events);
  }

  async waitForEvent<T extends GastownEvent['type']>(
    convoyId: string,
    type: T,
    match: (event: Extract<GastownEvent, { type: T }>) => boolean = () => true,
    timeoutMs = 20_000,
  ): Promise<Extract<GastownEvent, { type: T }>> {
    return eventually(
      `${type} in convoy ${convoyId}`,
      async () => (await this.events(convoyId)).find((e): e is Extract<GastownEvent, { type: T }> => e.type === type && match(e as Extract<GastownEvent, { type: T }>)),
      { timeoutMs, intervalMs: 50 },
    );
  }

  /** Stops every runner this fixture started (SIGTERM, then SIGKILL after a grace period). */
  async stopRunners(): Promise<void> {
    await Promise.all([...this.runners.values()].map((runner) => runner.stop()));
    this.runners.clear();
  }

  async close(): Promise<void> {
    await this.stopRunners();
    this.killLeftAgents();
    await this.gateway?.process.stop();
    await this.gateway?.db.drop();
    await this.convoyService?.stop();
    await deleteTopology(this.bus).catch(() => undefined);
    for (const bucket of [this.bus.names.claimsBucket, leaseBucket(this.bus.names)]) {
      await this.bus.jsm.streams.delete(`KV_${bucket}`).catch(() => undefined);
    }
    await this.bus.close();
    for (const origin of this.origins) origin.remove();
    rmSync(this.root, { recursive: true, force: true });
  }

  /** Agents of runners a test SIGKILLed outlive them; a failed test must not leave them running. */
  private killLeftAgents(): void {
    for (const runner of existsSync(this.root) ? readdirSync(this.root) : []) {
      const agents = join(this.runnerRoot(runner), 'agents');
      for (const name of existsSync(agents) ? readdirSync(agents) : []) {
        try {
          process.kill(-(JSON.parse(readFileSync(join(agents, name), 'utf8')) as { pid: number }).pid, 'SIGKILL');
        } catch {
          // Gone already, or a record cut short by the kill: nothing left to stop.
        }
      }
    }
  }

  private async town(type: 'CreateTown' | 'RegisterRig', data: Record<string, unknown>): Promise<void> {
    const reply = await this.client.request<CommandReply>(this.bus.names.commands.town, {
      type,
      commandId: randomUUID(),
      townId: this.townId,
      actor: { kind: 'user', id: 'runner-spec' },
      data,
    });
    if (!reply.ok) throw new Error(`${type} refused: ${reply.error.code} ${reply.error.message}`);
  }
}
