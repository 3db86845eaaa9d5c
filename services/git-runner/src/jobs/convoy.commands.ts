import { Logger } from '@nestjs/common';
import type { Bus, CommandClient } from '@gastown/bus';
import { commandIds, CommandReply, type CommandSuccess, type ConvoyCommandInput, type ConvoyCommandType } from '@gastown/contracts';
import { PoisonJobError } from './job.errors';

/** A report to the convoy service, complete with its deterministic command id. */
export type ConvoyReport = {
  [T in RunnerCommandType]: { type: T; commandId: string; data: Extract<ConvoyCommandInput, { type: T }>['data'] };
}[RunnerCommandType];

type RunnerCommandType = Extract<
  ConvoyCommandType,
  | 'MarkBeadStarted'
  | 'SubmitBead'
  | 'FailBeadAttempt'
  | 'ReportAgentLost'
  | 'InterruptBeadAttempt'
  | 'RecordBeadMerged'
  | 'StartMergeBatch'
  | 'RecordMergeBatchCheck'
  | 'EndMergeBatch'
  | 'ClaimMergePush'
  | 'RequestRework'
  | 'RecordRigLandingPrepared'
  | 'ClaimLandingPush'
  | 'ClaimBatchPush'
  | 'RecordRigLanded'
  | 'FailLanding'
>;

export interface ConvoyScope {
  townId: string;
  convoyId: string;
}

/** `applied`: the convoy took it (a repeat of an applied command counts). `conflict`: the convoy moved on. */
export type ReportOutcome = 'applied' | 'conflict';

/** The convoy service could not be asked or could not answer; the same report is safe to send again. */
export class ConvoyUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConvoyUnavailableError';
  }
}

/**
 * Sends the runner's reports to the convoy service. Command ids are derived from what the report
 * is about (`commandIds`), so a report sent again after a crash or a redelivery is recognised as
 * the same one and changes nothing.
 */
export class ConvoyCommands {
  private readonly logger = new Logger('git-runner');

  constructor(
    private readonly bus: Bus,
    private readonly client: CommandClient,
    private readonly runnerId: string,
  ) {}

  async send(scope: ConvoyScope, report: ConvoyReport): Promise<ReportOutcome> {
    return (await this.request(scope, report)) === 'conflict' ? 'conflict' : 'applied';
  }

  /**
   * Asks the convoy service for leave to push a bead's merge: true only when the convoy granted it
   * (it was not closed first); a refusal is already recorded in the convoy as an aborted merge.
   */
  async claimMergePush(scope: ConvoyScope, data: { beadId: string; attempt: number; mergeCommit: string }): Promise<boolean> {
    const reply = await this.request(scope, {
      type: 'ClaimMergePush',
      commandId: commandIds.claimMergePush(data.beadId, data.attempt, data.mergeCommit),
      data,
    });
    return reply !== 'conflict' && reply.result['claimed'] === true;
  }

  /**
   * Asks for leave to push a batch's first `beadCount` beads at once: true only when the convoy
   * granted every one of them (it was not closed first, and none of them moved on).
   */
  async claimBatchPush(scope: ConvoyScope, data: { batchId: string; beadCount: number }): Promise<boolean> {
    const reply = await this.request(scope, { type: 'ClaimBatchPush', commandId: commandIds.claimBatchPush(data.batchId, data.beadCount), data });
    return reply !== 'conflict' && reply.result['claimed'] === true;
  }

  /**
   * Asks the convoy service for leave to push a rig's landing: true only when the convoy granted it
   * (it was not closed first); a refusal by a close is already recorded as an aborted landing.
   */
  async claimLandingPush(scope: ConvoyScope, data: { rigId: string; attempt: number; commit: string }): Promise<boolean> {
    const reply = await this.request(scope, {
      type: 'ClaimLandingPush',
      commandId: commandIds.claimLandingPush(scope.convoyId, data.attempt, data.rigId, data.commit),
      data,
    });
    return reply !== 'conflict' && reply.result['claimed'] === true;
  }

  private async request(scope: ConvoyScope, report: ConvoyReport): Promise<CommandSuccess | 'conflict'> {
    const command = {
      type: report.type,
      commandId: report.commandId,
      townId: scope.townId,
      convoyId: scope.convoyId,
      actor: { kind: 'service', id: `git-runner:${this.runnerId}` },
      data: report.data,
    };
    let raw: unknown;
    try {
      raw = await this.client.request(this.bus.names.commands.convoy, command);
    } catch (error) {
      throw new ConvoyUnavailableError(`${report.type} ${report.commandId} was not answered: ${(error as Error).message}`);
    }
    const reply = CommandReply.safeParse(raw);
    if (!reply.success) throw new ConvoyUnavailableError(`${report.type} ${report.commandId} got a reply that is not a command reply`);
    if (reply.data.ok) {
      this.logger.log(`${report.type} ${report.commandId}${reply.data.duplicate ? ' (already recorded)' : ''}`);
      return reply.data;
    }
    const { code, message } = reply.data.error;
    switch (code) {
      case 'CONFLICT':
        this.logger.log(`${report.type} ${report.commandId} refused, the convoy moved on: ${message}`);
        return 'conflict';
      case 'UNAVAILABLE':
      case 'INTERNAL':
        throw new ConvoyUnavailableError(`${report.type} ${report.commandId}: ${code} ${message}`);
      default:
        // The report itself is wrong (a bug on one side): sending it again cannot help.
        throw new PoisonJobError(`the convoy service refused ${report.type} ${report.commandId} as ${code}: ${message}`);
    }
  }
}
