import { randomUUID } from 'node:crypto';
import { Objm } from '@nats-io/obj';
import { Bus, CommandClient, connectBus, deleteTopology, ensureTopology, EventStore, type BusLogger } from '@gastown/bus';
import { convoyIdFor, generateTownToken, hashTownToken, parseEgressAllowList, SecretKeyring, type CommandReply, type CommandSuccess } from '@gastown/contracts';
import { foldConvoy } from '@gastown/convoy-view';
import {
  createTestDatabase,
  eventually,
  freePort,
  startService,
  TEST_NATS_URL,
  TEST_SECRETS_KEY,
  testNamespace,
  type ServiceProcess,
  type TestDatabase,
} from '@gastown/testing';
import type { WebhookSettings } from '../config/dispatcher.config';
import { WebhookRunner } from './webhook.runner';

/**
 * The webhook tests' world: a namespace and database of their own, the real convoy service and
 * gateway as processes, commands sent as the git-runner would send them, and in-process webhook
 * runners (the dispatcher's part under test) that can be stopped and started again.
 */
const actor = { kind: 'service', id: 'webhook-spec' } as const;
/** The receivers of these specs listen on loopback: the gateway (when a webhook is added) and the deliverer must both allow it. */
const LOOPBACK = '127.0.0.1';
const LOOPBACK_RECEIVERS = parseEgressAllowList(LOOPBACK);
const sha = (hex: string) => hex.repeat(40 / hex.length);

export interface RunningWebhooks {
  readonly lines: string[];
  stop(): Promise<void>;
}

export interface GqlResult<T> {
  data?: T | null;
  errors?: { message: string; extensions: { code: string } }[];
}

export class WebhookWorld {
  readonly townId = randomUUID();
  readonly token = generateTownToken();
  readonly rigId = randomUUID();
  private readonly runners: RunningWebhooks[] = [];

  private constructor(
    readonly bus: Bus,
    private readonly db: TestDatabase,
    private readonly services: ServiceProcess[],
    readonly graphqlUrl: string,
  ) {}

  static async start(): Promise<WebhookWorld> {
    const namespace = testNamespace();
    const bus = await connectBus({ servers: TEST_NATS_URL, namespace, name: 'webhook-spec', logger: quiet() });
    await ensureTopology(bus);
    const db = await createTestDatabase();
    const port = await freePort();
    const env = { NATS_URL: TEST_NATS_URL, GT_NAMESPACE: namespace };
    const services = await Promise.all([
      startService('convoy', { env, readyText: 'convoy service ready' }),
      startService('gateway', { env: { ...env, DATABASE_URL: db.url, GATEWAY_PORT: String(port), GASTOWN_EGRESS_ALLOW: LOOPBACK }, readyText: 'gateway ready on' }),
    ]);
    const world = new WebhookWorld(bus, db, services, `http://127.0.0.1:${port}/graphql`);
    await world.town('CreateTown', { name: 'acme', tokenHash: hashTownToken(world.token) });
    await world.town('RegisterRig', { rigId: world.rigId, name: 'web', gitUrl: '/srv/git/web.git', defaultBranch: 'main' });
    // The gateway answers for the town once its projection has the town.
    await eventually('the gateway to know the town', async () => (await world.gql<{ rigs: unknown[] }>('{ rigs { id } }')).data?.rigs.length === 1);
    return world;
  }

  async gql<T>(query: string, variables?: Record<string, unknown>, token = this.token): Promise<GqlResult<T>> {
    const response = await fetch(this.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GqlResult<T>;
  }

  async ok<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
    const result = await this.gql<T>(query, variables);
    if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors ?? result)}`);
    return result.data;
  }

  /** The dispatcher's webhook part, in this process; log lines are kept for assertions. */
  async webhooks(settings: Partial<WebhookSettings> = {}): Promise<RunningWebhooks> {
    const lines: string[] = [];
    const log: BusLogger = {
      info: (line) => lines.push(`info ${line}`),
      warn: (line) => lines.push(`warn ${line}`),
      error: (line) => lines.push(`error ${line}`),
    };
    const bus = await connectBus({ servers: TEST_NATS_URL, namespace: this.bus.names.namespace, name: 'webhook-spec-runner', logger: log });
    const runner = new WebhookRunner(bus, {
      log,
      settings: { maxAttempts: 3, retryBaseMs: 100, retryMaxMs: 400, timeoutMs: 2_000, concurrency: 4, egressAllow: LOOPBACK_RECEIVERS, secrets: SecretKeyring.fromSettings(TEST_SECRETS_KEY), ...settings },
    });
    let stopped: Promise<void> | undefined;
    const running: RunningWebhooks = {
      lines,
      stop: () =>
        (stopped ??= (async () => {
          await runner.stop();
          await bus.close();
        })()),
    };
    this.runners.push(running);
    await runner.start();
    return running;
  }

  /** A one-task convoy that merges each bead into the default branch: it lands when its bead is merged. */
  async sling(title = 'Login page'): Promise<string> {
    const commandId = randomUUID();
    const convoyId = convoyIdFor(this.townId, commandId);
    await this.convoy(
      convoyId,
      'SlingBatch',
      { title, defaultRigId: this.rigId, mergeMode: 'REVIEW_AND_MERGE', tasks: [{ title: 'Add the form', body: 'a form' }] },
      commandId,
    );
    return convoyId;
  }

  /** Plays the dispatcher and the git-runner: dispatch, submit, merge; the convoy service then lands the convoy. */
  async land(convoyId: string): Promise<void> {
    const [bead] = (await this.view(convoyId)).beads.values();
    await this.convoy(convoyId, 'DispatchBead', { beadId: bead.beadId, agent: { id: 'polecat-nux', name: 'Nux' } });
    const dispatched = (await this.view(convoyId)).beads.get(bead.beadId);
    const attempt = dispatched?.attempt ?? 1;
    await this.convoy(convoyId, 'SubmitBead', { beadId: bead.beadId, attempt, branch: dispatched?.branch, headCommit: sha('ab') });
    await this.convoy(convoyId, 'RecordBeadMerged', { beadId: bead.beadId, attempt, mergeCommit: sha('cd') });
    const status = (await this.view(convoyId)).status;
    if (status !== 'LANDED') throw new Error(`convoy ${convoyId} is ${status}, not LANDED`);
  }

  async cancel(convoyId: string, reason = 'not needed any more'): Promise<void> {
    await this.convoy(convoyId, 'CloseConvoy', { reason });
  }

  async town(type: string, data: Record<string, unknown>, townId = this.townId): Promise<CommandSuccess> {
    const reply = await new CommandClient(this.bus).request<CommandReply>(this.bus.names.commands.town, {
      type,
      commandId: randomUUID(),
      townId,
      actor,
      data,
    });
    return ok(reply);
  }

  async convoy(convoyId: string, type: string, data: object, commandId: string = randomUUID(), townId = this.townId): Promise<CommandSuccess> {
    const command = { type, commandId, townId, convoyId, actor, data };
    return ok(await new CommandClient(this.bus).request<CommandReply>(this.bus.names.commands.convoy, command));
  }

  /**
   * Another town, without webhooks, whose plan of over 1 MB (kept in the object store) is lost:
   * every read of its first commit fails. Returns that commit's stream sequence.
   */
  async neighbourWithLostPlan(): Promise<number> {
    const townId = randomUUID();
    const rigId = randomUUID();
    const token = generateTownToken();
    await this.town('CreateTown', { name: 'neighbour', tokenHash: hashTownToken(token) }, townId);
    await this.town('RegisterRig', { rigId, name: 'web', gitUrl: '/srv/git/neighbour.git', defaultBranch: 'main' }, townId);
    const commandId = randomUUID();
    const convoyId = convoyIdFor(townId, commandId);
    const tasks = Array.from({ length: 200 }, (_, i) => ({ title: `task ${i}`, body: `${i} ${'x'.repeat(6_000)}` }));
    await this.convoy(convoyId, 'SlingBatch', { title: 'Large plan', defaultRigId: rigId, mergeMode: 'REVIEW_AND_MERGE', parallel: true, tasks }, commandId, townId);
    const stored = await this.bus.jsm.streams.getMessage(this.bus.names.eventStream, { last_by_subj: this.bus.names.convoyEvents(townId, convoyId) });
    const payload = stored?.json<{ payload?: { bucket: string; name: string } }>().payload;
    if (!stored || !payload) throw new Error('the plan was not kept in the object store');
    // Lost once the gateway has read it: the webhook log is its read model, and it must not wait on this plan.
    await eventually('the gateway to show the plan', async () => (await this.gql<{ convoy: unknown }>('query ($id: ID!) { convoy(id: $id) { id } }', { id: convoyId }, token)).data?.convoy != null);
    await (await new Objm(this.bus.js).open(payload.bucket)).delete(payload.name);
    return stored.seq;
  }

  private async view(convoyId: string) {
    const commits = await new EventStore(this.bus).readSubject(this.bus.names.convoyEvents(this.townId, convoyId));
    return foldConvoy(this.townId, convoyId, commits.flatMap((c) => c.events));
  }

  async stop(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.stop()));
    await Promise.all(this.services.map((s) => s.stop()));
    await deleteTopology(this.bus);
    await this.bus.close();
    await this.db.drop();
  }
}

function ok(reply: CommandReply): CommandSuccess {
  if (!reply.ok) throw new Error(`expected success, got ${reply.error.code}: ${reply.error.message}`);
  return reply;
}

function quiet(): BusLogger {
  return { info: () => undefined, warn: () => undefined, error: () => undefined };
}
