import { realpath } from 'node:fs/promises';
import { Logger } from '@nestjs/common';
import { histogram } from '@gastown/bus';
import { commandIds, singleLineText, type AgentRef, type AgentResult, type JobOf, type MergeMode } from '@gastown/contracts';
import type { ConvoyView } from '@gastown/convoy-view';
import { agentEnvironment, resolveAgent, type AgentLimits } from '../agent/agent.config';
import { buildPrompt, type PromptBlocker } from '../agent/agent.prompt';
import { AgentStartError, runAgent } from '../agent/agent.runner';
import { BranchNotFoundError } from '../git/rig.errors';
import type { RigRepository } from '../git/rig.repository';
import type { ConvoyCommands, ConvoyReport, ConvoyScope } from '../jobs/convoy.commands';
import { RetryJobSoon } from '../jobs/job.errors';
import type { JobContext } from '../jobs/job.consumer';
import type { JobTruth, RigInfo } from '../jobs/job.truth';
import type { RigWorkspaces } from '../rigs/rig.workspaces';
import type { DataLayout } from '../runner/data.layout';
import type { Sandbox } from '../sandbox/sandbox';
import { worktreeTooLarge } from '../sandbox/sandbox.worktree';
import type { AgentRecords } from './agent.records';
import type { AttemptClaims, HeldClaim } from './polecat.claims';
import type { OwnedAttempt, RunningAttempts } from './polecat.attempts';
import { agentResultOf, failureReason } from './polecat.reason';

type PolecatStep = 'worktree' | 'start' | 'agent' | 'size' | 'commit' | 'push' | 'cleanup' | 'submit';
const stepDuration = histogram('gastown_polecat_step_duration_seconds');

/** One step of an attempt, measured whether it succeeds or fails: what the runner adds to the agent's own time. */
async function timed<T>(step: PolecatStep, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    stepDuration.observe({ step }, (performance.now() - started) / 1000);
  }
}

type AgentJob = JobOf<'agent'>;

export interface PolecatDeps {
  runnerId: string;
  truth: JobTruth;
  commands: ConvoyCommands;
  workspaces: RigWorkspaces;
  claims: AttemptClaims;
  attempts: RunningAttempts;
  records: AgentRecords;
  layout: DataLayout;
  /** The runner's own environment; an agent gets its baseline and its rig's passEnv from it. */
  env: Readonly<Record<string, string | undefined>>;
  /** Where agents run (GIT_RUNNER_SANDBOX). */
  sandbox: Sandbox;
  /** The operator's profiles and caps: a rig's agent runs only as they allow. */
  agents: AgentLimits;
}

/** What an attempt needs from its convoy, copied out of the shared view. */
interface AgentTask {
  convoyTitle: string;
  mergeMode: MergeMode;
  beadTitle: string;
  beadBody: string;
  agent: AgentRef;
  branch: string;
  baseBranch: string;
  previousReason: string | null;
  blockers: PromptBlocker[];
}

/** The task when the job still applies, else why not. */
function agentTask(view: ConvoyView, job: AgentJob): AgentTask | string {
  if (view.status !== 'ACTIVE') return `its convoy is ${view.status}`;
  const bead = view.beads.get(job.beadId);
  if (!bead) return 'the bead is not part of its convoy';
  if (bead.status !== 'IN_PROGRESS' || bead.attempt !== job.attempt) return `the bead is ${bead.status} on attempt ${bead.attempt}`;
  if (bead.rigId !== job.rigId) return `the bead works on rig ${bead.rigId}`;
  if (!bead.agent || !bead.branch || !bead.baseBranch) return 'the bead has no dispatched agent';
  const blockers = bead.dependsOn.flatMap((id) => {
    const blocker = view.beads.get(id);
    return blocker?.mergeCommit ? [{ title: blocker.title, mergeCommit: blocker.mergeCommit }] : [];
  });
  return {
    convoyTitle: view.title,
    mergeMode: view.mergeMode,
    beadTitle: bead.title,
    beadBody: bead.body,
    agent: { ...bead.agent },
    branch: bead.branch,
    baseBranch: bead.baseBranch,
    previousReason: bead.previousReason,
    blockers,
  };
}

const ref = (job: AgentJob) => `${job.beadId}:${job.attempt}`;

/**
 * The polecat: runs one dispatched attempt of a bead. It claims the attempt (one agent per
 * attempt, however often the job arrives), prepares a worktree from the current target, runs the
 * agent, commits and pushes what it left, and reports: SubmitBead, FailBeadAttempt, or nothing
 * when the convoy was cancelled. A claim whose runner died is reported as a lost agent.
 */
export class PolecatHandler {
  private readonly logger = new Logger('polecat');

  constructor(private readonly deps: PolecatDeps) {}

  readonly handle = async (job: AgentJob, context: JobContext): Promise<void> => {
    const attempt = this.deps.attempts.begin(ref(job), job.convoyId, context.streamSeq);
    if (!attempt) {
      const running = this.deps.attempts.get(ref(job));
      if (running?.streamSeq !== context.streamSeq) return this.drop(job, 'this runner is running the attempt (a duplicate job)');
      // The same message again, to this very runner while it runs the attempt (a heartbeat came
      // late): settled when the attempt is, and meanwhile it keeps the job's heartbeat going.
      this.logger.log(`attempt ${ref(job)} is already running here; its redelivery waits for it`);
      await running.done;
      return;
    }
    try {
      await this.run(job, attempt);
    } finally {
      attempt.end();
    }
  };

  private async run(job: AgentJob, attempt: OwnedAttempt): Promise<void> {
    const { truth, claims, commands } = this.deps;
    const scope: ConvoyScope = { townId: job.townId, convoyId: job.convoyId };
    const rig = await truth.rig(job.townId, job.rigId);
    if (!rig) return this.drop(job, 'its rig is not registered');
    const task = await truth.convoy(job.townId, job.convoyId, (view) => agentTask(view, job));
    if (task === undefined) return this.drop(job, 'its convoy does not exist');
    if (typeof task === 'string') return this.drop(job, task);
    if (attempt.stopped?.kind === 'cancel') return this.drop(job, 'its convoy was cancelled');
    // The runner is stopping before this attempt began: another replica takes the job at once.
    if (attempt.stopped) throw new RetryJobSoon('this runner is stopping; the attempt goes to another runner', 0);

    const claimed = await claims.claim(job.beadId, job.attempt);
    switch (claimed.kind) {
      case 'running':
        return this.drop(job, `runner ${claimed.runnerId} is running this attempt (a duplicate job)`);
      case 'stale':
        this.logger.warn(`attempt ${ref(job)}: runner ${claimed.runnerId} stopped heartbeating; reporting its agent lost`);
        await commands.send(scope, lostReport(job, task.agent.id, `runner ${claimed.runnerId} stopped heartbeating`));
        return;
      case 'finished':
        if (claimed.report) await commands.send(scope, claimed.report);
        return this.drop(job, 'the attempt is over');
    }
    const claim = claimed.claim;
    try {
      await this.runClaimed(job, rig, task, attempt, claim);
    } finally {
      claim.abandon();
    }
  }

  /** Everything after the claim: prepare, run, report. */
  private async runClaimed(job: AgentJob, rig: RigInfo, task: AgentTask, attempt: OwnedAttempt, claim: HeldClaim): Promise<void> {
    const { commands, workspaces } = this.deps;
    const scope: ConvoyScope = { townId: job.townId, convoyId: job.convoyId };
    const repository = workspaces.repository(rig);
    const worktreeKey = `${job.beadId.slice(0, 8)}-a${job.attempt}`;

    let workdir: string;
    try {
      workdir = await timed('worktree', async () => {
        const request = { key: worktreeKey, branch: task.branch, base: task.baseBranch };
        const worktree = await repository.createWorktree(request).catch(async (error: unknown) => {
          // Only the convoy's first attempt on the rig finds no feature branch: creating it first on every attempt would cost each one a fetch more.
          if (task.mergeMode !== 'REVIEW_THEN_LAND' || !(error instanceof BranchNotFoundError)) throw error;
          await repository.ensureFeatureBranch(task.baseBranch);
          return repository.createWorktree(request);
        });
        // runAgent hands the agent this exact path as GASTOWN_WORKDIR; the agent record must match it.
        return realpath(worktree.path);
      });
      const marked = await timed('start', () =>
        commands.send(scope, {
          type: 'MarkBeadStarted',
          commandId: commandIds.markBeadStarted(job.beadId, job.attempt),
          data: { beadId: job.beadId, attempt: job.attempt },
        }),
      );
      if (marked === 'conflict') {
        await this.removeWorktree(repository, worktreeKey);
        await claim.finish(null);
        return;
      }
    } catch (error) {
      // Nothing ran yet: give the attempt back so the job's next delivery can run it.
      await this.removeWorktree(repository, worktreeKey);
      await claim.release().catch((failure: unknown) => this.logger.warn(`could not release claim of ${ref(job)}: ${(failure as Error).message}`));
      throw error;
    }

    const report = await this.attempt(job, rig, task, attempt, repository, worktreeKey, workdir).catch(async (error: unknown) => {
      await timed('cleanup', () => this.removeWorktree(repository, worktreeKey));
      throw error;
    });
    // The report does not wait for the cleanup. Queued before the report goes out, the cleanup
    // still runs ahead of any later attempt's git on this rig; a crash before it ran leaves the
    // worktree to the recovery at the runner's next start.
    const cleanup = timed('cleanup', () => this.removeWorktree(repository, worktreeKey));
    try {
      await timed('submit', async () => {
        // The report is in the claim before it is sent: a redelivery after a failed send sends it again.
        await claim.finish(report).catch((error: unknown) => this.logger.warn(`could not record the end of ${ref(job)}: ${(error as Error).message}`));
        if (report) await commands.send(scope, report);
      });
    } finally {
      await cleanup;
    }
  }

  /** Runs the agent and turns what happened into the report for the convoy service. */
  private async attempt(
    job: AgentJob,
    rig: RigInfo,
    task: AgentTask,
    attempt: OwnedAttempt,
    repository: RigRepository,
    worktreeKey: string,
    workdir: string,
  ): Promise<ConvoyReport | null> {
    const { layout, records, env } = this.deps;
    const agent = resolveAgent(rig.config, this.deps.agents);
    if ('refused' in agent) return failReport(job, `the agent may not run: ${agent.refused}`);
    const { timeoutMs } = agent;
    const prompt = buildPrompt({
      convoyTitle: task.convoyTitle,
      bead: { id: job.beadId, title: task.beadTitle, body: task.beadBody },
      blockers: task.blockers,
      previousReason: task.previousReason,
      attempt: job.attempt,
      branch: task.branch,
      baseBranch: task.baseBranch,
    });
    let outcome;
    try {
      outcome = await timed('agent', () =>
        runAgent({
        config: agent,
        timeoutMs,
        workdir,
        prompt,
        promptDir: layout.promptDir,
        outputFile: layout.agentLog(job.convoyId, job.beadId, job.attempt),
        env,
        sandbox: this.deps.sandbox,
        townId: job.townId,
        signal: attempt.signal,
        onStarted: (pid) => records.write(worktreeKey, { pid, workdir }),
        }),
      );
    } catch (error) {
      const what = error instanceof AgentStartError ? 'the agent could not be started' : 'the runner failed while the agent ran';
      return failReport(job, `${what}: ${(error as Error).message}`);
    } finally {
      await records.remove(worktreeKey);
    }

    const stopped = this.stopped(job, task, attempt);
    if (stopped !== undefined) return stopped;
    const { secrets } = agentEnvironment(agent, env);
    const agentResult = agentResultOf(outcome, secrets);
    if (outcome.exitCode !== 0 || outcome.timedOut) {
      this.logger.log(`attempt ${ref(job)} failed: ${outcome.timedOut ? 'timed out' : `exit ${outcome.exitCode ?? outcome.signal}`}`);
      return failReport(job, failureReason(outcome, timeoutMs, secrets), agentResult);
    }
    // Before anything of the worktree is committed: what the agent left there is bounded too.
    const worktreeMb = this.deps.sandbox.limits?.worktreeMb;
    const tooLarge = worktreeMb === undefined ? undefined : await timed('size', () => worktreeTooLarge(workdir, worktreeMb));
    if (tooLarge) {
      this.logger.log(`attempt ${ref(job)} failed: ${tooLarge}`);
      return failReport(job, `the agent finished, but its ${tooLarge}`, agentResult);
    }
    let head: string;
    try {
      ({ head } = await timed('commit', () =>
        repository.commitAll(workdir, {
          message: `${singleLineText(task.beadTitle)}\n\nBead ${job.beadId} attempt ${job.attempt}`,
          author: { name: `Polecat ${task.agent.name}`, email: 'polecat@gastown.local' },
        }),
      ));
      await timed('push', () => repository.pushBranch(workdir, task.branch, head));
    } catch (error) {
      return failReport(job, `the agent finished, but its work could not be committed and pushed: ${(error as Error).message}`, agentResult);
    }
    this.logger.log(`attempt ${ref(job)} done in ${outcome.durationMs} ms: ${task.branch} at ${head.slice(0, 12)}`);
    return {
      type: 'SubmitBead',
      commandId: commandIds.submitBead(job.beadId, job.attempt),
      data: { beadId: job.beadId, attempt: job.attempt, branch: task.branch, headCommit: head, agentResult },
    };
  }

  /** The report of an attempt stopped from outside; undefined when it was not stopped. */
  private stopped(job: AgentJob, task: AgentTask, attempt: OwnedAttempt): ConvoyReport | null | undefined {
    const stop = attempt.stopped;
    if (!stop) return undefined;
    if (stop.kind === 'cancel') {
      // The convoy is closed: there is nobody to report to, and the pushed branches stay.
      this.logger.log(`attempt ${ref(job)} stopped: ${stop.reason}`);
      return null;
    }
    // Only the drain reaches here (stopAll once its grace period ran out): an agent that ended by
    // itself, even while its runner drained, is reported as it ended, so none can interrupt itself.
    this.logger.warn(`attempt ${ref(job)} interrupted by the shutdown of this runner; the bead does not pay for it`);
    return {
      type: 'InterruptBeadAttempt',
      commandId: commandIds.interruptBeadAttempt(job.beadId, job.attempt),
      data: { beadId: job.beadId, attempt: job.attempt, agentId: task.agent.id, reason: `runner ${this.deps.runnerId} was stopped ${stop.why}` },
    };
  }

  private async removeWorktree(repository: RigRepository, key: string): Promise<void> {
    await repository.removeWorktree(key).catch((error: unknown) => this.logger.warn(`could not remove worktree ${key}: ${(error as Error).message}`));
  }

  private drop(job: AgentJob, why: string): void {
    this.logger.log(`dropped agent job ${ref(job)}: ${why}`);
  }
}

/** `agentResult` only when an agent ran: a runner that could not start one has no exit to tell. */
function failReport(job: AgentJob, reason: string, agentResult?: AgentResult): ConvoyReport {
  return {
    type: 'FailBeadAttempt',
    commandId: commandIds.failBeadAttempt(job.beadId, job.attempt),
    data: { beadId: job.beadId, attempt: job.attempt, reason, unrecoverable: false, ...(agentResult ? { agentResult } : {}) },
  };
}

function lostReport(job: AgentJob, agentId: string, reason: string): ConvoyReport {
  return {
    type: 'ReportAgentLost',
    commandId: commandIds.reportAgentLost(job.beadId, job.attempt),
    data: { beadId: job.beadId, attempt: job.attempt, agentId, reason },
  };
}
