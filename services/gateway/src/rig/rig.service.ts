import { Inject, Injectable } from '@nestjs/common';
import { CommandClient, NoResponderError, RequestTimeoutError, type Bus } from '@gastown/bus';
import {
  nameUuid,
  RigProbeReply,
  sealRigCredentials,
  type RigCredentials,
  type RigCredentialsInput as Credentials,
  type RigProbeRequest,
} from '@gastown/contracts';
import { DataSource } from 'typeorm';
import { BUS } from '../bus/bus.module';
import { GATEWAY_CONFIG } from '../config/config.module';
import type { GatewayConfig } from '../config/gateway.config';
import { RigRow } from '../read-models/read-models.entities';
import { CommandService } from '../command/command.service';
import type { GatewayContext } from '../graphql/graphql.context';
import { apiError, notFound } from '../graphql/graphql.errors';
import { RigLoaders } from './rig.loaders';
import type { RegisterRigInput, RigConfigInput } from './rig.inputs';

/** Longer than the runner's own ls-remote deadline, so a slow remote is answered by the runner, not by this timeout. */
const PROBE_TIMEOUT_MS = 25_000;

@Injectable()
export class RigService {
  private readonly client: CommandClient;

  constructor(
    private readonly db: DataSource,
    private readonly loaders: RigLoaders,
    private readonly commands: CommandService,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    this.client = new CommandClient(bus);
  }

  list(townId: string): Promise<RigRow[]> {
    return this.db.getRepository(RigRow).find({ where: { townId }, order: { name: 'ASC' } });
  }

  async get(ctx: GatewayContext, id: string): Promise<RigRow> {
    const rig = await this.loaders.byId(ctx).load(id);
    if (!rig) throw notFound('rig', id);
    return rig;
  }

  /** `credentials` checked by the caller (rigCredentials in rig.inputs.ts). */
  async register(ctx: GatewayContext, input: RegisterRigInput, credentials?: Credentials): Promise<RigRow> {
    const townId = ctx.town.id;
    const commandId = this.commands.commandIdOf(input.commandId);
    // Derived from the command id, so a retried registration names the same rig.
    const rigId = nameUuid(townId, `rig:${commandId}`);
    const sealed = credentials ? this.seal(townId, rigId, credentials) : undefined;
    await this.probe({ townId, rigId, gitUrl: input.gitUrl.trim(), defaultBranch: input.defaultBranch, credentials: sealed });
    await this.commands.town(ctx, commandId, {
      type: 'RegisterRig',
      data: {
        rigId,
        name: input.name,
        gitUrl: input.gitUrl,
        defaultBranch: input.defaultBranch,
        config: toRigConfig(input.config),
        ...(sealed ? { credentials: sealed } : {}),
      },
    });
    return this.get(ctx, rigId);
  }

  /**
   * Gives a rig credentials or replaces its own (rotation). The runner tries them first, so a
   * wrong token is refused here and the rig keeps the credentials it had.
   */
  async setCredentials(ctx: GatewayContext, rigId: string, credentials: Credentials, requestedCommandId?: string | null): Promise<RigRow> {
    const rig = await this.get(ctx, rigId);
    const sealed = this.seal(ctx.town.id, rig.id, credentials);
    await this.probe({ townId: ctx.town.id, rigId: rig.id, gitUrl: rig.gitUrl, defaultBranch: rig.defaultBranch, credentials: sealed });
    await this.commands.town(ctx, this.commands.commandIdOf(requestedCommandId), { type: 'SetRigCredentials', data: { rigId: rig.id, credentials: sealed } });
    return this.fresh(ctx, rig.id);
  }

  /** Not probed: removing a credential (one that leaked, say) must work even when the remote is down. */
  async clearCredentials(ctx: GatewayContext, rigId: string, requestedCommandId?: string | null): Promise<RigRow> {
    const rig = await this.get(ctx, rigId);
    await this.commands.town(ctx, this.commands.commandIdOf(requestedCommandId), { type: 'ClearRigCredentials', data: { rigId: rig.id } });
    return this.fresh(ctx, rig.id);
  }

  /** The row as the command left it: the request's loader may hold the one read before it. */
  private async fresh(ctx: GatewayContext, rigId: string): Promise<RigRow> {
    const rig = await this.db.getRepository(RigRow).findOneBy({ id: rigId, townId: ctx.town.id });
    if (!rig) throw notFound('rig', rigId);
    return rig;
  }

  /** Sealed here for this town's rig, so the secret is in clear in no command, probe, event or read model. */
  private seal(townId: string, rigId: string, credentials: Credentials): RigCredentials {
    const { secrets } = this.config;
    if (!secrets) throw apiError('UNAVAILABLE', 'rig credentials are unavailable: this gateway was started without GASTOWN_SECRETS_KEY', {});
    return sealRigCredentials(secrets, townId, rigId, credentials);
  }

  /**
   * A git-runner checks the remote before anything is registered: the operator's rules for local
   * paths and inside addresses, that it answers without the runner's own credentials, and that
   * it has the default branch. A problem becomes the town's BAD_USER_INPUT, on the field at fault.
   */
  private async probe(request: RigProbeRequest): Promise<void> {
    let raw: unknown;
    try {
      raw = await this.client.request<unknown>(this.bus.names.rigProbe, request, { timeoutMs: PROBE_TIMEOUT_MS });
    } catch (error) {
      if (error instanceof NoResponderError || error instanceof RequestTimeoutError) {
        const why = error instanceof NoResponderError ? 'no git-runner is running' : `no git-runner answered within ${PROBE_TIMEOUT_MS} ms`;
        throw apiError('UNAVAILABLE', `gitUrl could not be checked: ${why}; nothing was registered, retry later with the same commandId`);
      }
      throw error;
    }
    const reply = RigProbeReply.safeParse(raw);
    if (!reply.success) throw new Error(`malformed reply from a git-runner on ${this.bus.names.rigProbe}: ${reply.error.message}`);
    if (reply.data.ok) return;
    const { field, message } = reply.data;
    throw apiError('BAD_USER_INPUT', message, { errors: [{ path: [field], message }] });
  }
}

/** GraphQL nulls mean "not given": only fields the client set reach the command, the decider fills the rest. */
function toRigConfig(input: RigConfigInput | undefined | null): Record<string, unknown> | undefined {
  if (!input) return undefined;
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === null || value === undefined) continue;
    config[key] = key === 'agent' ? withoutNulls(value as Record<string, unknown>) : value;
  }
  return config;
}

function withoutNulls(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined));
}
