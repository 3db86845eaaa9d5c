import { randomUUID } from 'node:crypto';
import { Bus, CommandClient, connectBus, deleteTopology, ensureKv, NoResponderError, serveCommands, type CommandServer } from '@gastown/bus';
import { StorageType } from '@nats-io/jetstream';
import { attemptClaimKey, CommandReply, generateTownToken, hashTownToken, SecretKeyring, type AttemptClaim } from '@gastown/contracts';
import {
  createTestDatabase,
  eventually,
  startService,
  TEST_NATS_URL,
  TEST_SECRETS_KEY,
  testNamespace,
  type ServiceProcess,
  type TestDatabase,
} from '@gastown/testing';
import { BUS } from './bus/bus.module';
import { DEFAULT_FAIR_SHARE, type FairShareSettings, type GatewayConfig } from './config/gateway.config';
import { createGatewayApp, type GatewayApp } from './gateway.app';
import type { HeavyReadsSettings } from './heavy-reads/heavy-reads.pool';
import { ReadModelWaiter } from './projection/read-model.waiter';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface GqlError {
  message: string;
  path?: (string | number)[];
  extensions: { code: string; [key: string]: unknown };
}

export interface GqlResponse<T> {
  status: number;
  data?: T | null;
  errors?: GqlError[];
}

export interface TestTown {
  readonly id: string;
  readonly name: string;
  readonly token: string;
}

/** The real convoy service process, as npm start runs it. */
export function startConvoyService(
  namespace: string,
  natsUrl = TEST_NATS_URL,
  env: Record<string, string> = {},
): Promise<ServiceProcess> {
  return startService('convoy', {
    env: { ...env, NATS_URL: natsUrl, GT_NAMESPACE: namespace },
    readyText: 'convoy service ready',
  });
}

export interface GatewayHarnessOptions {
  /** Extra environment of the convoy service, e.g. smaller attempt budgets to reach exhaustion sooner. */
  convoyEnv?: Record<string, string>;
  /** A built dashboard to serve, as DASHBOARD_DIR does. */
  dashboardDir?: string;
  /** Fair-share limits other than the defaults, e.g. a tiny mutation burst to reach it in a test. */
  fairShare?: Partial<FairShareSettings>;
  /** Heavy reads in worker threads, as GATEWAY_HEAVY_READ_WORKERS runs them; on the main thread when absent. */
  heavyReads?: HeavyReadsSettings;
}

/**
 * One suite's world: its own NATS namespace and database, the real convoy service process and
 * the gateway on a free loopback port. Towns are created over NATS, the way the CLI does it.
 */
export class GatewayHarness {
  private probes: CommandServer | undefined;

  private constructor(
    readonly namespace: string,
    readonly db: TestDatabase,
    readonly gateway: GatewayApp,
    readonly convoyService: ServiceProcess,
  ) {}

  static async start(options: GatewayHarnessOptions = {}): Promise<GatewayHarness> {
    const namespace = testNamespace();
    const db = await createTestDatabase();
    const config: GatewayConfig = {
      port: 0,
      databaseUrl: db.url,
      natsUrl: TEST_NATS_URL,
      namespace,
      readModelWaitMs: 10_000,
      dashboardDir: options.dashboardDir ?? null,
      secrets: SecretKeyring.fromSettings(TEST_SECRETS_KEY),
      fairShare: { ...DEFAULT_FAIR_SHARE, ...options.fairShare },
      ...(options.heavyReads ? { heavyReads: options.heavyReads } : {}),
    };
    const [gateway, convoyService] = await Promise.allSettled([
      createGatewayApp(config, { logLevels: ['error'] }),
      startConvoyService(namespace, config.natsUrl, options.convoyEnv),
    ]);
    if (gateway.status === 'rejected' || convoyService.status === 'rejected') {
      if (gateway.status === 'fulfilled') await gateway.value.close();
      if (convoyService.status === 'fulfilled') await convoyService.value.stop();
      await db.drop();
      throw gateway.status === 'rejected' ? gateway.reason : (convoyService as PromiseRejectedResult).reason;
    }
    const harness = new GatewayHarness(namespace, db, gateway.value, convoyService.value);
    try {
      harness.playRigProbe();
      await harness.untilConvoyServiceAnswers();
    } catch (error) {
      await harness.close();
      throw error;
    }
    return harness;
  }

  /**
   * "ready" is printed once the service subscribed, which the server may not have processed yet;
   * an empty command is refused with a reply, and a reply on both subjects proves it listens.
   */
  private async untilConvoyServiceAnswers(): Promise<void> {
    const client = new CommandClient(this.bus);
    for (const subject of [this.bus.names.commands.town, this.bus.names.commands.convoy]) {
      await eventually(`the convoy service answering on ${subject}`, () =>
        client.request(subject, {}, { timeoutMs: 2_000 }).then(
          () => true,
          (error: unknown) => {
            if (error instanceof NoResponderError) return false;
            throw error;
          },
        ),
      );
    }
  }

  /**
   * Plays the git-runners' answer to registerRig's check of the remote: every remote is fine.
   * What a runner really checks is tested in the git-runner's and the system's suites.
   */
  private playRigProbe(): void {
    this.probes = serveCommands(this.bus, this.bus.names.rigProbe, 'git-runner', () => Promise.resolve({ ok: true }));
  }

  get url(): string {
    return this.gateway.url;
  }

  private get bus(): Bus {
    return this.gateway.app.get<Bus>(BUS);
  }

  async createTown(name = `town ${randomUUID().slice(0, 8)}`): Promise<TestTown> {
    const token = generateTownToken();
    const townId = randomUUID();
    await this.send(this.bus.names.commands.town, {
      type: 'CreateTown',
      townId,
      data: { name, tokenHash: hashTownToken(token) },
    });
    return { id: townId, name, token };
  }

  /** Plays another service (a dispatcher, a git runner): sends a convoy command the API does not offer. */
  async convoyCommand(townId: string, convoyId: string, command: { type: string; data: Record<string, unknown> }): Promise<void> {
    await this.send(this.bus.names.commands.convoy, { ...command, townId, convoyId });
  }

  /** Plays a git-runner holding an attempt: writes its claim, heartbeat included, as the runner does. */
  async writeAttemptClaim(beadId: string, attempt: number, claim: AttemptClaim): Promise<void> {
    const kv = await ensureKv(this.bus, this.bus.names.claimsBucket, { history: 1, storage: StorageType.File, allow_direct: false });
    await kv.put(attemptClaimKey(beadId, attempt), JSON.stringify(claim));
  }

  /** Sends a command as a service would and waits until the read models show it. */
  private async send(subject: string, command: Record<string, unknown>): Promise<void> {
    const commandId = randomUUID();
    const raw = await new CommandClient(this.bus).request<unknown>(subject, {
      commandId,
      correlationId: commandId,
      actor: { kind: 'service', id: 'gateway-test' },
      ...command,
    });
    const reply = CommandReply.parse(raw);
    if (!reply.ok) throw new Error(`${String(command['type'])} refused: ${reply.error.code} ${reply.error.message}`);
    await this.gateway.app.get(ReadModelWaiter).waitFor(reply.subject, reply.seq);
  }

  async gql<T = Record<string, unknown>>(
    token: string | null,
    query: string,
    variables?: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<GqlResponse<T>> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...headers,
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as Omit<GqlResponse<T>, 'status'>;
    return { status: response.status, ...body };
  }

  /** For the happy path: fails the test with the server's errors instead of returning them. */
  async ok<T = Record<string, unknown>>(token: string, query: string, variables?: Record<string, unknown>): Promise<T> {
    const response = await this.gql<T>(token, query, variables);
    if (response.errors?.length || !response.data) {
      throw new Error(`GraphQL errors: ${JSON.stringify(response.errors ?? response)}`);
    }
    return response.data;
  }

  async close(): Promise<void> {
    await this.probes?.stop();
    await this.convoyService.stop();
    await this.gateway.close();
    const bus = await connectBus({
      servers: TEST_NATS_URL,
      namespace: this.namespace,
      name: 'gateway-test-cleanup',
      logger: quiet,
    });
    try {
      await deleteTopology(bus);
      await bus.jsm.streams.delete(`KV_${bus.names.claimsBucket}`).catch(() => undefined);
    } finally {
      await bus.close();
    }
    await this.db.drop();
  }
}

/** The error codes of a response, for assertions that read like what a client sees. */
export function codesOf(response: GqlResponse<unknown>): string[] {
  return (response.errors ?? []).map((e) => e.extensions.code);
}
