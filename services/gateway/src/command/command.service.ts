import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommandMeta, CommandReply, ConvoyCommand, ConvoyCommandInput, TownCommand, type CommandSuccess } from '@gastown/contracts';
import { CommandClient, NoResponderError, RequestTimeoutError, withLogFields, type Bus } from '@gastown/bus';
import type { z } from 'zod';
import { BUS } from '../bus/bus.module';
import { GATEWAY_CONFIG } from '../config/config.module';
import type { GatewayConfig } from '../config/gateway.config';
import type { GatewayContext } from '../graphql/graphql.context';
import { apiError } from '../graphql/graphql.errors';
import { ReadModelWaiter, ReadModelTimeoutError, SubjectHeldError } from '../projection/read-model.waiter';

/** Large enough for the convoy service to decide a 10,000-task batch, short enough to free the client. */
const COMMAND_TIMEOUT_MS = 30_000;

type Distribute<T> = T extends unknown ? Omit<T, keyof CommandMeta> : never;
/** A convoy command without its envelope: the service fills in who, which town and which id. */
export type ConvoyCommandBody = Distribute<ConvoyCommandInput>;
export type TownCommandBody = Distribute<TownCommand>;
/** What the decision created or found (ids, a webhook's secret); never logged. */
export type CommandResult = CommandSuccess['result'];

/** The convoy and bead a command names, for the log lines written while it is issued (the town is the request's). */
function idsOf(command: unknown): { convoyId?: string; beadId?: string } {
  const fields = command as { convoyId?: unknown; data?: { beadId?: unknown } };
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return { convoyId: text(fields.convoyId), beadId: text(fields.data?.beadId) };
}

/**
 * Sends the user's commands to the convoy service and waits until the read models show their
 * effect, so a mutation can answer from the read model and the client reads its own write.
 */
@Injectable()
export class CommandService {
  private readonly logger = new Logger(CommandService.name);
  private readonly client: CommandClient;
  private readonly subjects: Bus['names']['commands'];

  constructor(
    @Inject(BUS) bus: Bus,
    private readonly waiter: ReadModelWaiter,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    this.client = new CommandClient(bus);
    this.subjects = bus.names.commands;
  }

  /** The id a new command will carry; creating mutations derive their aggregate ids from it. */
  commandIdOf(requested: string | null | undefined): string {
    return requested ?? randomUUID();
  }

  /**
   * Resolves with the decision's result once the read models show the command's effect; clears
   * the request's loaders for it.
   */
  convoy(ctx: GatewayContext, commandId: string, body: ConvoyCommandBody): Promise<CommandResult> {
    return this.issue(ctx, this.subjects.convoy, ConvoyCommand, { ...this.meta(ctx.town.id, commandId), ...body }, 'answer');
  }

  town(ctx: GatewayContext, commandId: string, body: TownCommandBody): Promise<CommandResult> {
    return this.issue(ctx, this.subjects.town, TownCommand, { ...this.meta(ctx.town.id, commandId), ...body }, 'refuse');
  }

  private meta(townId: string, commandId: string): CommandMeta {
    return { commandId, townId, actor: { kind: 'user', id: `town:${townId}` }, correlationId: commandId };
  }

  private async issue(
    ctx: GatewayContext,
    subject: string,
    schema: z.ZodType,
    command: { commandId: string; type: string },
    whenHeld: 'answer' | 'refuse',
  ): Promise<CommandResult> {
    const checked = schema.safeParse(command);
    if (!checked.success) {
      // Paths as the client wrote them: the command's `data` wrapper is ours, not theirs.
      const errors = checked.error.issues.map((issue) => ({
        path: issue.path
          .filter((segment, i) => !(i === 0 && segment === 'data'))
          .map((segment) => (typeof segment === 'number' ? segment : String(segment))),
        message: issue.message,
      }));
      throw apiError('BAD_USER_INPUT', errors.map((e) => `${e.path.join('.')}: ${e.message}`).join('; '), { errors });
    }
    return withLogFields(idsOf(checked.data), () => this.issueChecked(ctx, subject, command, whenHeld));
  }

  private async issueChecked(ctx: GatewayContext, subject: string, command: { commandId: string; type: string }, whenHeld: 'answer' | 'refuse'): Promise<CommandResult> {
    const reply = await this.request(subject, command.commandId, command);
    if (!reply.ok) throw apiError(reply.error.code, reply.error.message, reply.error.details ?? {});
    try {
      await this.waiter.waitFor(reply.subject, reply.seq, this.config.readModelWaitMs);
    } catch (error) {
      if (error instanceof SubjectHeldError) {
        this.logger.warn(`${command.type} ${command.commandId}: ${error.message}`);
        // A held convoy still reads (held, with why), so the mutation answers with it; a held
        // town's rigs and webhooks cannot show the change, so the answer says why, at once.
        if (whenHeld === 'refuse') throw heldError(command, error);
        ctx.loaders.clear();
        return reply.result;
      }
      if (!(error instanceof ReadModelTimeoutError)) throw error;
      this.logger.warn(`${command.type} ${command.commandId}: ${error.message}`);
      throw apiError(
        'UNAVAILABLE',
        `the ${command.type} was accepted, but the read model did not show it within ${this.config.readModelWaitMs} ms; ` +
          'query again shortly (repeating the mutation with the same commandId is safe)',
        { commandId: command.commandId },
      );
    }
    ctx.loaders.clear();
    return reply.result;
  }

  private async request(subject: string, commandId: string, command: unknown): Promise<CommandReply> {
    let raw: unknown;
    try {
      raw = await this.client.request<unknown>(subject, command, { timeoutMs: COMMAND_TIMEOUT_MS });
    } catch (error) {
      if (error instanceof NoResponderError) {
        throw apiError('UNAVAILABLE', 'the convoy service is not running; retry later with the same commandId', { commandId });
      }
      if (error instanceof RequestTimeoutError) {
        throw apiError(
          'UNAVAILABLE',
          `the convoy service did not answer within ${COMMAND_TIMEOUT_MS} ms; ` +
            'retry with the same commandId (it is applied at most once)',
          { commandId },
        );
      }
      throw error;
    }
    const reply = CommandReply.safeParse(raw);
    if (!reply.success) throw new Error(`malformed reply from the convoy service on ${subject}: ${reply.error.message}`);
    return reply.data;
  }
}

function heldError(command: { commandId: string; type: string }, held: SubjectHeldError) {
  return apiError(
    'UNAVAILABLE',
    `the ${command.type} was accepted, but this town is held since ${held.hold.heldAt.toISOString()} ` +
      `on a message its read model cannot apply (seq ${held.hold.seq}: ${held.hold.reason}); ` +
      'it shows once the operator releases the hold (npm run holds)',
    { commandId: command.commandId, held: true, heldReason: held.hold.reason, heldSince: held.hold.heldAt.toISOString() },
  );
}
