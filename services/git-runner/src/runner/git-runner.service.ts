import { Logger } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import { CommandClient, EventStore, gaugeSource, type Bus } from '@gastown/bus';
import { consumerCheck, type ReadinessCheck } from '@gastown/service-runtime';
import type { JobKind } from '@gastown/contracts';
import { BranchHandler } from '../branch/branch.handler';
import type { GitRunnerConfig } from '../config/git-runner.config';
import { ConvoyCommands } from '../jobs/convoy.commands';
import { startJobConsumer, type JobHandler, type RunningJobConsumer } from '../jobs/job.consumer';
import { JobGiveUp } from '../jobs/job.give-up';
import { JobTruth } from '../jobs/job.truth';
import { LandingHandler } from '../landing/landing.handler';
import { RigLease } from '../lease/rig.lease';
import { AgentRecords } from '../polecat/agent.records';
import { listenForCancels } from '../polecat/cancel.listener';
import { AttemptClaims } from '../polecat/polecat.claims';
import { RunningAttempts } from '../polecat/polecat.attempts';
import { PolecatHandler } from '../polecat/polecat.handler';
import { RigProbeResponder } from '../probe/rig.probe.responder';
import { RefineryHandler } from '../refinery/refinery.handler';
import { RepositoryOwners } from '../rigs/repository.owners';
import { RepositoryPolicy } from '../rigs/repository.policy';
import { RigCredentialFiles } from '../rigs/rig.credentials';
import { RigWorkspaces } from '../rigs/rig.workspaces';
import { createSandbox, type Sandbox } from '../sandbox/sandbox';
import { DataDirLock } from './data-dir.lock';
import { DataLayout } from './data.layout';

/**
 * Git jobs at once per replica and kind. The rig lease serialises each rig anyway; these slots
 * let different rigs proceed side by side.
 */
const GIT_JOB_SLOTS = 3;

/**
 * After the drain period, how long interrupted agents get to be reported and the work handed
 * back; bounded, so a stop always ends (what is not settled by then comes back after the ack wait).
 */
const HANDOVER_MS = 10_000;

/**
 * One git-runner replica: recovers what a previous run on its data directory left, then takes
 * jobs of every kind from the shared consumers and listens for convoy cancellations.
 */
export class GitRunner {
  private readonly logger = new Logger('git-runner');
  private readonly layout: DataLayout;
  private readonly lock: DataDirLock;
  private readonly truth: JobTruth;
  private readonly workspaces: RigWorkspaces;
  private readonly records: AgentRecords;
  private readonly sandbox: Sandbox;
  private readonly probes: RigProbeResponder;
  private readonly credentialFiles: RigCredentialFiles;
  private readonly attempts = new RunningAttempts();
  private readonly consumers: RunningJobConsumer[] = [];
  private cancels: Subscription | undefined;
  private stopExporting: (() => void) | undefined;
  private agentConsumer: RunningJobConsumer | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly config: GitRunnerConfig,
  ) {
    this.layout = new DataLayout(config.dataDir, config.namespace);
    this.lock = new DataDirLock(this.layout.lockFile);
    this.truth = new JobTruth(new EventStore(bus), bus.names);
    const policy = new RepositoryPolicy({ ...config.repositories, dataDir: config.dataDir }, new RepositoryOwners(bus));
    this.credentialFiles = new RigCredentialFiles(this.layout.credentialsDir, config.repositories.ambientCredentials);
    this.workspaces = new RigWorkspaces(this.layout, policy, this.truth, config.secrets, this.credentialFiles);
    this.probes = new RigProbeResponder(bus, policy, this.layout.probeDir, { secrets: config.secrets, files: this.credentialFiles });
    this.records = new AgentRecords(this.layout);
    this.sandbox = createSandbox(config.sandbox);
  }

  async start(): Promise<void> {
    const { bus, config, sandbox } = this;
    // Before anything else: a runner that cannot confine agents takes no work at all.
    const report = await sandbox.probe();
    if (report.limits) this.logger.log(`sandbox limits per agent and check: ${report.limits}`);
    if (report.warning) this.logger.warn(report.warning);
    if (sandbox.kind === 'none') {
      this.logger.warn(
        'GIT_RUNNER_SANDBOX=none: AGENTS AND CHECKS RUN UNCONFINED, as this runner\'s user, with its files, processes and network. ' +
          'Any town can take over this machine. Use it only on a single-user development machine; set GIT_RUNNER_SANDBOX=bwrap otherwise.',
      );
    }
    this.lock.acquire();
    await this.credentialFiles.clear();
    // Agents of a killed predecessor first: they would write into worktrees the recovery removes.
    await this.records.reapOrphans();
    await this.workspaces.recoverAll(this.truth);

    const commands = new ConvoyCommands(bus, new CommandClient(bus), config.runnerId);
    const lease = new RigLease(bus, { holderId: config.runnerId, ttlMs: config.leaseTtlMs });
    const git = { truth: this.truth, commands, workspaces: this.workspaces, lease, maxCheckTimeoutMs: config.maxCheckTimeoutMs, sandbox };
    const polecat = new PolecatHandler({
      runnerId: config.runnerId,
      truth: this.truth,
      commands,
      workspaces: this.workspaces,
      claims: new AttemptClaims(bus, config.runnerId, config.ackWaitMs),
      attempts: this.attempts,
      records: this.records,
      layout: this.layout,
      env: process.env,
      sandbox,
      agents: { policy: config.agentPolicy, maxAgentTimeoutMs: config.maxAgentTimeoutMs },
    });
    // Listening before any agent can start, so no cancellation is missed.
    this.cancels = listenForCancels(bus, this.attempts);
    this.probes.start();
    const giveUp = new JobGiveUp(this.truth, commands).report;
    const start = <K extends JobKind>(kind: K, concurrency: number, handler: JobHandler<K>) =>
      startJobConsumer(bus, { kind, concurrency, ackWaitMs: config.ackWaitMs, handler, giveUp, retry: config.jobRetry });
    this.consumers.push(
      await start('branch', GIT_JOB_SLOTS, new BranchHandler(git).handle),
      await start('merge', GIT_JOB_SLOTS, new RefineryHandler(git).handle),
      await start('land', GIT_JOB_SLOTS, new LandingHandler(git).handle),
    );
    this.agentConsumer = await start('agent', config.maxAgents, polecat.handle);
    this.consumers.push(this.agentConsumer);
    this.stopExporting = gaugeSource('gastown_agents', (set) => {
      const { running, stopping } = this.attempts.countByState();
      set({ state: 'running' }, running);
      set({ state: 'stopping' }, stopping);
    });
    // "Ready" must mean the server already routes broadcasts and pulls here.
    await bus.nc.flush();
  }

  /** Ready: every job consumer is bound and pulling, and the cancel broadcast is subscribed. */
  readiness(): ReadinessCheck[] {
    return [
      ...this.consumers.map((consumer) => consumerCheck(consumer.durable, () => consumer.status())),
      {
        name: 'cancel broadcast',
        check: () => (this.cancels && !this.cancels.isClosed() ? { ok: true } : { ok: false, reason: 'not subscribed to convoy cancellations' }),
      },
    ];
  }

  /**
   * The drain: claims nothing new, lets the agents, merges and landings in hand finish within
   * GIT_RUNNER_DRAIN_MS, then interrupts the agents still running (reported as interrupted, which
   * the bead does not pay for) and hands the other jobs back for another replica to redo: merges
   * and landings are idempotent against origin and fenced by the rig lease, as after a crash.
   */
  async stop(): Promise<void> {
    const consumers = this.consumers.splice(0);
    this.stopExporting?.();
    for (const consumer of consumers) consumer.stopPulling();
    const probes = this.probes.stop();
    const settled = Promise.all(consumers.map((consumer) => consumer.settled()));
    const agents = this.attempts.size;
    const { drainMs } = this.config;
    if (agents > 0) this.logger.log(`draining: waiting up to ${drainMs} ms for ${agents} running agent${agents === 1 ? '' : 's'} and the jobs in hand`);
    if (!(await within(settled, drainMs))) {
      const interrupted = this.attempts.stopAll(`and its agent did not finish within the drain period (GIT_RUNNER_DRAIN_MS=${drainMs})`);
      const handedBack = consumers.filter((consumer) => consumer !== this.agentConsumer).reduce((sum, consumer) => sum + consumer.handBack(), 0);
      this.logger.warn(`drain period over: interrupted ${interrupted} agent${interrupted === 1 ? '' : 's'}, handed back ${handedBack} git job${handedBack === 1 ? '' : 's'}`);
      if (!(await within(settled, HANDOVER_MS))) this.logger.warn('some jobs were not settled; they come back to another runner after the ack wait');
    }
    await probes;
    this.cancels?.unsubscribe();
    this.lock.release();
  }
}

/** True when `work` ended within `ms`. */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}
