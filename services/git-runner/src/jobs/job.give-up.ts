import { Logger } from '@nestjs/common';
import { commandIds, TEXT_LIMITS, type Job } from '@gastown/contracts';
import type { ConvoyCommands, ConvoyReport } from './convoy.commands';
import type { JobTruth } from './job.truth';

/** Room left in a reason for the runner's own words around the error. */
const ERROR_CHARS = TEXT_LIMITS.reason - 200;

function clipped(text: string): string {
  return text.length > ERROR_CHARS ? `${text.slice(0, ERROR_CHARS)}…` : text;
}

/**
 * What ends a job's work in the convoy when the runner gives up on it (every delivery failed, or
 * it can never succeed), so the town reads the runner's reason on the bead or the landing instead
 * of an attempt RUNNING for ever. The command ids are the ones the handlers use for the same
 * outcome (`commandIds.failBeadAttempt`, `requestRework`, `failLanding`): a give-up sent twice, or after
 * the handler's own report got through, is one decision. The convoy's rules then apply as for any
 * failure: the attempt counts, and the bead fails when its budget is spent.
 */
export class JobGiveUp {
  private readonly logger = new Logger('git-runner');

  constructor(
    private readonly truth: JobTruth,
    private readonly commands: ConvoyCommands,
  ) {}

  readonly report = async (job: Job, reason: string): Promise<void> => {
    const report = await this.reportOf(job, clipped(reason));
    if (!report) {
      this.logger.warn(`gave up on the ${job.kind} job of convoy ${job.convoyId.slice(0, 8)}: ${reason}`);
      return;
    }
    await this.commands.send({ townId: job.townId, convoyId: job.convoyId }, report);
  };

  private async reportOf(job: Job, reason: string): Promise<ConvoyReport | null> {
    switch (job.kind) {
      case 'agent':
        return {
          type: 'FailBeadAttempt',
          commandId: commandIds.failBeadAttempt(job.beadId, job.attempt),
          data: { beadId: job.beadId, attempt: job.attempt, reason: `the runner could not run the attempt: ${reason}`, unrecoverable: false },
        };
      case 'merge':
        return {
          type: 'RequestRework',
          commandId: commandIds.requestRework(job.beadId, job.attempt),
          data: { beadId: job.beadId, attempt: job.attempt, reason: `the refinery could not merge it: ${reason}` },
        };
      case 'land': {
        const rig = await this.truth.rig(job.townId, job.rigId).catch(() => undefined);
        return {
          type: 'FailLanding',
          commandId: commandIds.failLanding(job.convoyId, job.attempt),
          data: { attempt: job.attempt, reason: `${rig?.name ?? `rig ${job.rigId}`}: the landing could not be done: ${reason}` },
        };
      }
      case 'branch':
        // Nothing waits on it alone: each bead's agent job creates the feature branch too, and fails its attempt when it cannot.
        return null;
    }
  }
}
