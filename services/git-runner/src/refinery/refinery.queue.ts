import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { counter } from '@gastown/bus';
import { commandIds, singleLineText } from '@gastown/contracts';
import type { BeadView, ConvoyView } from '@gastown/convoy-view';
import { checkEnvironment, describeCheckFailure, runChecks } from '../git/rig.checks';
import { TargetMovedError } from '../git/rig.errors';
import type { RigRepository } from '../git/rig.repository';
import type { ConvoyCommands, ConvoyScope } from '../jobs/convoy.commands';
import type { RigInfo } from '../jobs/job.truth';
import type { HeldRigLease } from '../lease/rig.lease';
import type { Sandbox } from '../sandbox/sandbox';
import { Bisection } from './refinery.bisection';
import { beadMerged, beadReworked, unmergedReport, type Unmerged } from './refinery.reports';

const checkRuns = counter('gastown_refinery_check_runs_total');
const batchOutcomes = counter('gastown_refinery_batches_total');

/** A bead in review waiting for the refinery, as the convoy says now. */
export interface WaitingBead {
  beadId: string;
  attempt: number;
  title: string;
  branch: string;
}

/**
 * The refinery's queue for one target of one rig in one convoy: its beads in review, in the
 * order they were submitted. A bead whose push was granted but never made waits like any other:
 * a new batch recognises it if it did land.
 */
export function waitingBeads(view: ConvoyView, rigId: string, target: string, targetOf: (bead: BeadView) => string): WaitingBead[] {
  return [...view.beads.values()]
    .filter((bead) => bead.status === 'IN_REVIEW' && bead.rigId === rigId && bead.branch !== null && targetOf(bead) === target)
    .sort((a, b) => (a.submittedAt ?? '').localeCompare(b.submittedAt ?? '') || a.index - b.index)
    .map((bead) => ({ beadId: bead.beadId, attempt: bead.attempt, title: bead.title, branch: bead.branch as string }));
}

export interface MergeQueueDeps {
  commands: ConvoyCommands;
  repository: RigRepository;
  held: HeldRigLease;
  rig: RigInfo;
  scope: ConvoyScope;
  target: string;
  sandbox: Sandbox;
  /** The operator's cap on a check, whatever its rig asks for. */
  maxCheckTimeoutMs: number;
}

type CheckOutcome = 'PASSED' | 'FAILED' | 'FLAKY';

interface Verdict {
  outcome: CheckOutcome;
  /** Which check failed and how; the first failure's when it was flaky. */
  reason: string | null;
  durationMs: number;
}

interface Member {
  bead: WaitingBead;
  commit: string;
}

/** What every check run of a batch shares. */
interface Tally {
  /** Check runs so far, on the batch or its prefixes. */
  runs: number;
  /** Aborted when the batch's result no longer matters. */
  stop: AbortController;
}

interface Batch {
  batchId: string;
  key: string;
  base: string;
  members: Member[];
  tally: Tally;
  verdict: Promise<Verdict>;
  /** Scratch worktrees of its prefixes' runs, removed with the batch. */
  prefixKeys: string[];
}

/**
 * One pass of a rig's merge queue, under its lease: up to `speculativeDepth` batches of up to
 * `mergeBatchMax` beads, each merged onto the one ahead of it and checked while that one's checks
 * still run (at most `checkConcurrency` runs at once). Batches are pushed in order, each only
 * after its own checks passed on exactly the tree it pushes: a green batch lands whole; a red
 * one is bisected, its passing prefix pushed and its culprit sent back, and every batch built on
 * it is discarded. Every step is reported to the convoy as it happens, so the queue's read model
 * and the history show batches, runs and bisection while they are under way.
 */
export class MergeQueuePass {
  private readonly logger = new Logger('refinery');
  private readonly batches: Batch[] = [];
  private readonly slots: Slots;
  private progressed = false;

  constructor(private readonly deps: MergeQueueDeps) {
    this.slots = new Slots(deps.rig.config.checkConcurrency);
  }

  /** Runs the pass; true when at least one bead was merged or sent back. */
  async run(waiting: WaitingBead[]): Promise<boolean> {
    try {
      await this.build(waiting);
      await this.settle();
      return this.progressed;
    } finally {
      for (const batch of this.batches) batch.tally.stop.abort();
      await Promise.allSettled(this.batches.map((batch) => batch.verdict));
      for (const batch of this.batches) {
        for (const key of [batch.key, ...batch.prefixKeys]) await this.deps.repository.discardMerge(key);
      }
    }
  }

  private async build(waiting: WaitingBead[]): Promise<void> {
    const { repository, rig, target, commands, scope } = this.deps;
    const { mergeBatchMax, speculativeDepth } = rig.config;
    let queue = waiting;
    while (this.batches.length < speculativeDepth && queue.length > 0) {
      const taken = queue.slice(0, mergeBatchMax);
      queue = queue.slice(mergeBatchMax);
      const ahead = this.batches[this.batches.length - 1];
      const batchId = randomUUID();
      const key = `batch-${batchId.slice(0, 8)}`;
      const built = await repository.buildBatch({
        target,
        on: ahead ? ahead.members[ahead.members.length - 1].commit : undefined,
        entries: taken.map((bead) => ({ source: bead.branch, message: `Merge bead "${singleLineText(bead.title)}" (${bead.beadId.slice(0, 8)})` })),
        key,
      });
      const members: Member[] = [];
      for (const [i, outcome] of built.outcomes.entries()) {
        if (outcome.kind === 'merged') members.push({ bead: taken[i], commit: outcome.commit });
        // Built on origin itself, what does not merge is decided now; on top of an unchecked batch
        // it waits, to be judged on origin once that batch is in.
        else if (!ahead) await this.settleAlone(taken[i], outcome, built.base, { batchId, ahead: members.length });
      }
      if (members.length === 0) continue;
      const started = await commands.send(scope, {
        type: 'StartMergeBatch',
        commandId: commandIds.startMergeBatch(batchId),
        data: {
          batchId,
          rigId: rig.rigId,
          baseCommit: built.base,
          ...(ahead ? { speculativeOn: ahead.batchId } : {}),
          beads: members.map(({ bead, commit }) => ({ beadId: bead.beadId, attempt: bead.attempt, mergeCommit: commit })),
        },
      });
      if (started === 'conflict') {
        // The convoy moved on (closed, or a bead left review): what was started so far is settled, nothing more.
        await repository.discardMerge(key);
        return;
      }
      const tally: Tally = { runs: 0, stop: new AbortController() };
      const verdict = this.check(tally, built.worktree as string);
      // Settled in order by `settle`; a batch left behind by an error is awaited in `run`'s finally.
      verdict.catch(() => undefined);
      const batch: Batch = { batchId, key, base: built.base, members, tally, verdict, prefixKeys: [] };
      this.batches.push(batch);
      this.logger.log(`batch ${batchId.slice(0, 8)}: ${members.length} bead${members.length === 1 ? '' : 's'} on ${built.base.slice(0, 12)}${ahead ? `, speculative on ${ahead.batchId.slice(0, 8)}` : ''}`);
    }
  }

  private async settle(): Promise<void> {
    for (const [i, batch] of this.batches.entries()) {
      const verdict = await batch.verdict;
      await this.recordCheck(batch, batch.members.length, verdict);
      if (verdict.outcome !== 'FAILED') {
        if (await this.push(batch, batch.members.length)) {
          await this.end(batch, 'MERGED', batch.members.length);
          continue;
        }
        await this.discardFrom(i + 1, `the batch ahead (${batch.batchId.slice(0, 8)}) was not pushed`);
        return;
      }
      await this.discardFrom(i + 1, `the batch ahead (${batch.batchId.slice(0, 8)}) failed its checks`);
      await this.bisect(batch, verdict.reason as string);
      return;
    }
  }

  /** Finds the culprit of a red batch, pushes what passed before it, sends it back; the beads after it wait again. */
  private async bisect(batch: Batch, failedWhole: string): Promise<void> {
    const { repository, commands, scope } = this.deps;
    const bisection = new Bisection(batch.members.length);
    let failure = failedWhole;
    for (let prefix = bisection.next(); prefix !== undefined; prefix = bisection.next()) {
      const key = `${batch.key}-p${prefix}`;
      batch.prefixKeys.push(key);
      const worktree = await repository.scratchAt(key, batch.members[prefix - 1].commit);
      const verdict = await this.check(batch.tally, worktree);
      await repository.discardMerge(key);
      await this.recordCheck(batch, prefix, verdict);
      bisection.record(prefix, verdict.outcome !== 'FAILED');
      if (verdict.outcome === 'FAILED') failure = verdict.reason as string;
    }
    const passed = bisection.passed;
    const culprit = batch.members[passed].bead;
    if (passed > 0 && !(await this.push(batch, passed))) return;
    const runs = `${batch.tally.runs} check run${batch.tally.runs === 1 ? '' : 's'}`;
    const why =
      batch.members.length === 1
        ? failure
        : `merge batch ${batch.batchId.slice(0, 8)} failed its checks and ${runs} isolated this bead as the cause (the ${passed} bead${passed === 1 ? '' : 's'} before it passed without it): ${failure}`;
    await commands.send(scope, beadReworked(culprit, why));
    this.progressed = true;
    await this.end(batch, 'SPLIT', passed, { culpritBeadId: culprit.beadId, reason: failure });
  }

  /** Pushes the batch's first `count` beads, checked as exactly that tree, and records each merged at its own merge commit. */
  private async push(batch: Batch, count: number): Promise<boolean> {
    const { repository, commands, scope, held, target } = this.deps;
    const pushed = batch.members.slice(0, count);
    const commit = pushed[pushed.length - 1].commit;
    // The fence, as for a single merge: still the lease holder, then leave from the convoy for the whole prefix at once.
    await held.fence();
    if (!(await commands.claimBatchPush(scope, { batchId: batch.batchId, beadCount: count }))) {
      await this.end(batch, 'DISCARDED', 0, { reason: 'the convoy refused the push (it was closed, or a bead moved on)' });
      return false;
    }
    try {
      await repository.pushMerge({ commit, target, expectedTip: batch.base, fence: held.fence });
    } catch (error) {
      if (!(error instanceof TargetMovedError)) throw error;
      await this.end(batch, 'DISCARDED', 0, { reason: `${target} moved while the batch was checked; its beads wait for the next batch` });
      return false;
    }
    for (const { bead, commit: mergeCommit } of pushed) {
      await commands.send(scope, beadMerged(bead, mergeCommit, batch.batchId));
    }
    this.progressed = true;
    this.logger.log(`batch ${batch.batchId.slice(0, 8)}: pushed ${count} bead${count === 1 ? '' : 's'} onto ${target} at ${commit.slice(0, 12)}`);
    return true;
  }

  private async discardFrom(index: number, reason: string): Promise<void> {
    for (const batch of this.batches.slice(index)) {
      batch.tally.stop.abort();
      await batch.verdict.catch(() => undefined);
      await this.end(batch, 'DISCARDED', 0, { reason: `${reason}; its beads wait for the next batch` });
    }
  }

  /** The checks on one tree of the batch, in a slot of the rig's check concurrency; a failure is retried once when the rig says so. */
  private async check(tally: Tally, worktree: string): Promise<Verdict> {
    const first = await this.slots.run(() => this.runChecks(tally, worktree));
    if (first.passed || !this.deps.rig.config.retryFlakyChecks || tally.stop.signal.aborted) {
      return { outcome: first.passed ? 'PASSED' : 'FAILED', reason: first.reason, durationMs: first.durationMs };
    }
    const again = await this.slots.run(() => this.runChecks(tally, worktree));
    return { outcome: again.passed ? 'FLAKY' : 'FAILED', reason: first.reason, durationMs: first.durationMs + again.durationMs };
  }

  private async runChecks(tally: Tally, worktree: string): Promise<{ passed: boolean; reason: string | null; durationMs: number }> {
    const { rig, sandbox, scope, maxCheckTimeoutMs } = this.deps;
    const timeoutMs = Math.min(rig.config.checkTimeoutMs, maxCheckTimeoutMs);
    const started = performance.now();
    tally.runs += 1;
    const result = await runChecks(worktree, rig.config.checks, { timeoutMs, env: checkEnvironment(), sandbox, townId: scope.townId, signal: tally.stop.signal });
    checkRuns.inc({ outcome: tally.stop.signal.aborted ? 'STOPPED' : result.ok ? 'PASSED' : 'FAILED' });
    return {
      passed: result.ok,
      reason: result.failed ? describeCheckFailure(result.failed, timeoutMs) : null,
      durationMs: Math.round(performance.now() - started),
    };
  }

  private async recordCheck(batch: Batch, beadCount: number, verdict: Verdict): Promise<void> {
    if (verdict.outcome === 'FLAKY') checkRuns.inc({ outcome: 'FLAKY' });
    await this.deps.commands.send(this.deps.scope, {
      type: 'RecordMergeBatchCheck',
      commandId: commandIds.recordMergeBatchCheck(batch.batchId, batch.tally.runs),
      data: {
        batchId: batch.batchId,
        run: batch.tally.runs,
        beadCount,
        outcome: verdict.outcome,
        durationMs: verdict.durationMs,
        ...(verdict.reason !== null ? { reason: verdict.reason } : {}),
      },
    });
  }

  private async end(batch: Batch, outcome: 'MERGED' | 'SPLIT' | 'DISCARDED', mergedCount: number, extra: { culpritBeadId?: string; reason?: string } = {}): Promise<void> {
    batchOutcomes.inc({ outcome });
    await this.deps.commands.send(this.deps.scope, {
      type: 'EndMergeBatch',
      commandId: commandIds.endMergeBatch(batch.batchId),
      data: { batchId: batch.batchId, outcome, mergedCount, checkRuns: batch.tally.runs, ...extra },
    });
  }

  /** A bead that did not merge onto origin's target: sent back, or recorded when it is already in. */
  private async settleAlone(bead: WaitingBead, outcome: Unmerged, targetTip: string, batch: { batchId: string; ahead: number }): Promise<void> {
    const { repository, commands, scope, target, rig } = this.deps;
    const conflictWith = batch.ahead > 0 ? `the ${batch.ahead} bead${batch.ahead === 1 ? '' : 's'} merged before it in batch ${batch.batchId.slice(0, 8)}` : undefined;
    await commands.send(scope, await unmergedReport(bead, outcome, { target, targetTip, allowEmptyBeads: rig.config.allowEmptyBeads, repository, conflictWith }));
    this.progressed = true;
  }
}

/** At most `size` check runs at once; the rest wait in order. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = Math.max(1, size);
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free += 1;
    }
  }
}
