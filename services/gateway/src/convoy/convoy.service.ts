import { Injectable } from '@nestjs/common';
import { convoyIdFor, type TaskInput as TaskCommandInput } from '@gastown/contracts';
import { DataSource, In } from 'typeorm';
import { BeadRow, ConvoyRow } from '../read-models/read-models.entities';
import { CommandService, type CommandResult, type ConvoyCommandBody } from '../command/command.service';
import type { GatewayContext } from '../graphql/graphql.context';
import { apiError, notFound } from '../graphql/graphql.errors';
import { isUuid } from '../graphql/graphql.ids';
import { HoldsService } from '../holds/holds.service';
import { decodeConvoyCursor, encodeConvoyCursor } from './convoy.cursor';
import { ConvoysArgs, MAX_PAGE_SIZE, planTextProblem, reasonTextProblem, SlingBatchInput, SlingInput, TaskInput, type InputTextProblem } from './convoy.inputs';
import { ConvoyLoaders } from './convoy.loaders';

export interface ConvoyPage {
  edges: { cursor: string; node: ConvoyRow }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

/**
 * What the convoy service answered a close with: the merges and landings whose push it had
 * already granted, so git may hold them whatever the close says. Kept with the convoy it answers,
 * as the read model may record one of them merged or landed before the answer is read.
 */
export interface CloseAnswer {
  /** In plan order. */
  mergesUnderWay: BeadRow[];
  landingsUnderWay: string[];
}

export type ClosedConvoy = ConvoyRow & { closeAnswer: CloseAnswer };

const idsIn = (value: unknown): string[] => (Array.isArray(value) ? value.filter((id): id is string => typeof id === 'string') : []);

function refuseText(problem: InputTextProblem | null): void {
  if (problem) throw apiError('BAD_USER_INPUT', problem.message, { argument: problem.argument });
}

const toTaskCommands = (tasks: readonly TaskInput[]): TaskCommandInput[] =>
  tasks.map((t) => ({ title: t.title, body: t.body ?? undefined, rigId: t.rigId ?? undefined, dependsOn: t.dependsOn }));

@Injectable()
export class ConvoyService {
  constructor(
    private readonly db: DataSource,
    private readonly loaders: ConvoyLoaders,
    private readonly commands: CommandService,
    private readonly holds: HoldsService,
  ) {}

  /** A convoy held on its first commit has no row yet, and is still read (held, with why). */
  async get(ctx: GatewayContext, id: string): Promise<ConvoyRow> {
    const convoy = (await this.loaders.byId(ctx).load(id)) ?? (isUuid(id) ? await this.holds.heldConvoy(ctx, id) : null);
    if (!convoy) throw notFound('convoy', id);
    return convoy;
  }

  async list(ctx: GatewayContext, args: ConvoysArgs): Promise<ConvoyPage> {
    if (!Number.isInteger(args.first) || args.first < 0 || args.first > MAX_PAGE_SIZE) {
      throw apiError('BAD_USER_INPUT', `first must be between 0 and ${MAX_PAGE_SIZE} (got ${args.first})`, { argument: 'first' });
    }
    if (args.rigId != null && !isUuid(args.rigId)) {
      return { edges: [], pageInfo: { hasNextPage: false, endCursor: null }, totalCount: 0 };
    }

    const filtered = this.db
      .getRepository(ConvoyRow)
      .createQueryBuilder('c')
      .where('c.townId = :townId', { townId: ctx.town.id });
    if (args.status) filtered.andWhere('c.status = :status', { status: args.status });
    if (args.rigId) filtered.andWhere(':rigId = ANY(c.rigIds)', { rigId: args.rigId });

    const page = filtered.clone();
    if (args.after != null) {
      const afterId = decodeConvoyCursor(args.after);
      const anchor = afterId && (await this.db.getRepository(ConvoyRow).existsBy({ townId: ctx.town.id, id: afterId }));
      if (!anchor) throw apiError('BAD_USER_INPUT', 'after is not a cursor of this connection', { argument: 'after' });
      page.andWhere('(c.createdAt, c.id) < (SELECT a.created_at, a.id FROM convoys a WHERE a.id = :afterId)', { afterId });
    }
    const [rows, totalCount] = await Promise.all([
      page
        .orderBy('c.createdAt', 'DESC')
        .addOrderBy('c.id', 'DESC')
        .limit(args.first + 1)
        .getMany(),
      filtered.getCount(),
    ]);
    const nodes = rows.slice(0, args.first);
    const edges = nodes.map((node) => ({ cursor: encodeConvoyCursor(node.id), node }));
    return {
      edges,
      pageInfo: { hasNextPage: rows.length > args.first, endCursor: edges.at(-1)?.cursor ?? null },
      totalCount,
    };
  }

  async slingBatch(ctx: GatewayContext, input: SlingBatchInput): Promise<ConvoyRow> {
    refuseText(planTextProblem(input));
    return this.create(ctx, input.commandId, (convoyId) => ({
      convoyId,
      type: 'SlingBatch',
      data: {
        title: input.title,
        defaultRigId: input.defaultRigId,
        mergeMode: input.mergeMode,
        staged: input.staged,
        parallel: input.parallel,
        tasks: toTaskCommands(input.tasks),
      },
    }));
  }

  async sling(ctx: GatewayContext, input: SlingInput): Promise<ConvoyRow> {
    refuseText(planTextProblem(input));
    return this.create(ctx, input.commandId, (convoyId) => ({
      convoyId,
      type: 'Sling',
      data: {
        title: input.title,
        body: input.body ?? undefined,
        rigId: input.rigId,
        mergeMode: input.mergeMode,
        staged: input.staged,
      },
    }));
  }

  async addTasks(ctx: GatewayContext, convoyId: string, tasks: TaskInput[], commandId?: string): Promise<ConvoyRow> {
    refuseText(planTextProblem({ tasks }, false));
    return this.change(ctx, convoyId, commandId, { convoyId, type: 'AddTasks', data: { tasks: toTaskCommands(tasks) } });
  }

  async start(ctx: GatewayContext, convoyId: string, commandId?: string): Promise<ConvoyRow> {
    return this.change(ctx, convoyId, commandId, { convoyId, type: 'StartConvoy', data: {} });
  }

  async close(ctx: GatewayContext, convoyId: string, reason: string, commandId?: string): Promise<ClosedConvoy> {
    refuseText(reasonTextProblem(reason));
    await this.get(ctx, convoyId);
    const result = await this.commands.convoy(ctx, this.commands.commandIdOf(commandId), { convoyId, type: 'CloseConvoy', data: { reason } });
    const convoy = await this.get(ctx, convoyId);
    return { ...convoy, closeAnswer: await this.underWayAtClose(ctx, convoyId, result) };
  }

  async retryLanding(ctx: GatewayContext, convoyId: string, commandId?: string): Promise<ConvoyRow> {
    return this.change(ctx, convoyId, commandId, { convoyId, type: 'RetryLanding', data: {} });
  }

  private async underWayAtClose(ctx: GatewayContext, convoyId: string, result: CommandResult): Promise<CloseAnswer> {
    const beadIds = idsIn(result['mergesUnderWay']);
    const mergesUnderWay = beadIds.length === 0 ? [] : await this.db.getRepository(BeadRow).find({ where: { townId: ctx.town.id, convoyId, id: In(beadIds) }, order: { idx: 'ASC' } });
    return { mergesUnderWay, landingsUnderWay: idsIn(result['landingsUnderWay']) };
  }

  /** The convoy id follows from the command id, so a retried creation addresses the same convoy. */
  private async create(
    ctx: GatewayContext,
    requestedCommandId: string | undefined,
    build: (convoyId: string) => ConvoyCommandBody,
  ): Promise<ConvoyRow> {
    const commandId = this.commands.commandIdOf(requestedCommandId);
    const convoyId = convoyIdFor(ctx.town.id, commandId);
    await this.commands.convoy(ctx, commandId, build(convoyId));
    return this.get(ctx, convoyId);
  }

  /** Checked against the town's read model first: a town cannot address another town's convoy. */
  private async change(
    ctx: GatewayContext,
    convoyId: string,
    requestedCommandId: string | undefined,
    body: ConvoyCommandBody,
  ): Promise<ConvoyRow> {
    await this.get(ctx, convoyId);
    await this.commands.convoy(ctx, this.commands.commandIdOf(requestedCommandId), body);
    return this.get(ctx, convoyId);
  }
}
