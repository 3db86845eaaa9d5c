import { randomUUID } from 'node:crypto';
import {
  Bus,
  CommandClient,
  connectBus,
  deleteTopology,
  ensureTopology,
  EventStore,
  type BusLogger,
  type StoredCommit,
} from '@gastown/bus';
import {
  commandIds,
  convoyIdFor,
  generateTownToken,
  hashTownToken,
  Job,
  type CommandReply,
  type CommandSuccess,
  type GastownEvent,
  type MergeMode,
} from '@gastown/contracts';
import { foldConvoy, type ConvoyView } from '@gastown/convoy-view';
import { startService, TEST_NATS_URL, testNamespace, type ServiceProcess } from '@gastown/testing';
import { DEFAULT_PLAN_LIMITS, type PlanLimits } from './dispatch.planner';
import { DispatchRunner } from './dispatch.runner';
import type { ReconcileLimits } from '../reconcile/reconcile.planner';

/**
 * Integration tests' world: a namespace of its own on the real NATS, the real convoy service as
 * a process, commands sent as the gateway and the git-runner would send them, and in-process
 * dispatchers whose log lines are kept for assertions.
 */
export const sha = (hex: string) => hex.repeat(40 / hex.length);
const actor = { kind: 'service', id: 'spec' } as const;

export interface TestDispatcher {
  readonly runner: DispatchRunner;
  readonly lines: string[];
  stop(): Promise<void>;
}

export interface Convoy {
  readonly convoyId: string;
  readonly beadIds: string[];
  readonly subject: string;
}

export class Harness {
  readonly townId = randomUUID();
  private readonly dispatchers: TestDispatcher[] = [];

  private convoyService: ServiceProcess | undefined;

  private constructor(
    readonly bus: Bus,
    private readonly client: CommandClient,
  ) {}

  static async start(): Promise<Harness> {
    const namespace = testNamespace();
    const bus = await connectBus({ servers: TEST_NATS_URL, namespace, name: 'dispatcher-spec', logger: quiet() });
    await ensureTopology(bus);
    const harness = new Harness(bus, new CommandClient(bus));
    await harness.startConvoyService();
    ok(
      await harness.client.request<CommandReply>(bus.names.commands.town, {
        type: 'CreateTown',
        commandId: randomUUID(),
        townId: harness.townId,
        actor,
        data: { name: 'acme', tokenHash: hashTownToken(generateTownToken()) },
      }),
    );
    return harness;
  }

  async startConvoyService(): Promise<void> {
    this.convoyService = await startService('convoy', { env: this.env, readyText: 'convoy service ready' });
  }

  async stopConvoyService(): Promise<void> {
    await this.convoyService?.stop();
    this.convoyService = undefined;
  }

  get env(): Record<string, string> {
    return { NATS_URL: TEST_NATS_URL, GT_NAMESPACE: this.bus.names.namespace };
  }

  async rig(maxPolecats: number): Promise<string> {
    const rigId = randomUUID();
    ok(
      await this.client.request<CommandReply>(this.bus.names.commands.town, {
        type: 'RegisterRig',
        commandId: randomUUID(),
        townId: this.townId,
        actor,
        data: { rigId, name: `rig-${rigId.slice(0, 8)}`, gitUrl: '/srv/git/web.git', defaultBranch: 'main', config: { maxPolecats } },
      }),
    );
    return rigId;
  }

  async sling(rigIds: string[], mergeMode: MergeMode = 'REVIEW_THEN_LAND'): Promise<Convoy> {
    const commandId = randomUUID();
    const convoyId = convoyIdFor(this.townId, commandId);
    const reply = await this.command(
      convoyId,
      'SlingBatch',
      {
        title: 'Spec convoy',
        defaultRigId: rigIds[0],
        mergeMode,
        parallel: true,
        tasks: rigIds.map((rigId, i) => ({ title: `task ${i}`, rigId })),
      },
      commandId,
    );
    return { convoyId, beadIds: reply.result['beadIds'] as string[], subject: reply.subject };
  }

  async command(convoyId: string, type: string, data: object, commandId: string = randomUUID()): Promise<CommandSuccess> {
    const command = { type, commandId, townId: this.townId, convoyId, actor, data };
    return ok(await this.client.request<CommandReply>(this.bus.names.commands.convoy, command));
  }

  async commits(convoyId: string): Promise<StoredCommit[]> {
    return new EventStore(this.bus).readSubject(this.bus.names.convoyEvents(this.townId, convoyId));
  }

  async events(convoyId: string): Promise<GastownEvent[]> {
    return (await this.commits(convoyId)).flatMap((c) => c.events);
  }

  async view(convoyId: string): Promise<ConvoyView> {
    return foldConvoy(this.townId, convoyId, await this.events(convoyId));
  }

  /** What an agent and the refinery report for a bead at work: submitted, then merged. */
  async finish(convoyId: string, beadId: string): Promise<void> {
    const bead = (await this.view(convoyId)).beads.get(beadId);
    if (bead?.status !== 'IN_PROGRESS') throw new Error(`bead ${beadId} is ${bead?.status}, not IN_PROGRESS`);
    const { attempt } = bead;
    const submit = { beadId, attempt, branch: bead.branch, headCommit: sha('ab') };
    await this.command(convoyId, 'SubmitBead', submit, commandIds.submitBead(beadId, attempt));
    await this.command(convoyId, 'RecordBeadMerged', { beadId, attempt, mergeCommit: sha('cd') }, `merge:${beadId}:${attempt}`);
  }

  /** Every job on the jobs stream (nobody consumes them in these tests). */
  async jobs(): Promise<Job[]> {
    const { jobStream } = this.bus.names;
    const { state } = await this.bus.jsm.streams.info(jobStream);
    const jobs: Job[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
      const m = await this.bus.jsm.streams.getMessage(jobStream, { seq });
      if (m) jobs.push(Job.parse(m.json()));
    }
    return jobs;
  }

  async dispatcher(name: string, limits: Partial<PlanLimits> = {}, reconcile?: ReconcileLimits): Promise<TestDispatcher> {
    const lines: string[] = [];
    const log: BusLogger = {
      info: (line) => lines.push(`info ${line}`),
      warn: (line) => lines.push(`warn ${line}`),
      error: (line) => lines.push(`error ${line}`),
    };
    const bus = await connectBus({ servers: TEST_NATS_URL, namespace: this.bus.names.namespace, name, logger: log });
    const runner = new DispatchRunner(bus, { dispatcherId: name, log, limits: { ...DEFAULT_PLAN_LIMITS, ...limits }, reconcile });
    let stopped: Promise<void> | undefined;
    const dispatcher: TestDispatcher = {
      runner,
      lines,
      stop: () =>
        (stopped ??= (async () => {
          await runner.stop();
          await bus.close();
        })()),
    };
    this.dispatchers.push(dispatcher);
    await runner.start();
    return dispatcher;
  }

  async stop(): Promise<void> {
    await Promise.all(this.dispatchers.map((d) => d.stop()));
    await this.stopConvoyService();
    await deleteTopology(this.bus);
    await this.bus.close();
  }
}

function ok(reply: CommandReply): CommandSuccess {
  if (!reply.ok) throw new Error(`expected success, got ${reply.error.code}: ${reply.error.message}`);
  return reply;
}

function quiet(): BusLogger {
  return { info: () => undefined, warn: () => undefined, error: () => undefined };
}

/** BeadDispatched events of these convoys as (bead, attempt) keys, in stream order. */
export function dispatchKeys(events: GastownEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'BeadDispatched' ? [`${e.data.beadId}:${e.data.attempt}`] : []));
}

const LEAVES_WORK = new Set(['BeadSubmitted', 'BeadAttemptFailed', 'BeadAgentLost', 'BeadAttemptInterrupted', 'BeadFailed', 'BeadCancelled']);

/** The most beads ever at work at once, replaying the commits of several convoys in stream order. */
export function mostAtWork(commits: StoredCommit[]): number {
  const atWork = new Set<string>();
  let most = 0;
  for (const commit of [...commits].sort((a, b) => a.seq - b.seq)) {
    for (const e of commit.events) {
      if (e.type === 'BeadDispatched') atWork.add(e.data.beadId);
      else if (LEAVES_WORK.has(e.type) && 'beadId' in e.data) atWork.delete(e.data.beadId);
    }
    most = Math.max(most, atWork.size);
  }
  return most;
}
