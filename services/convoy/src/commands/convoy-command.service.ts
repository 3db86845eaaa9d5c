import { Logger } from '@nestjs/common';
import { z } from 'zod';
import { ConvoyCommand, CommandReply, TownCommand, names as namesFor } from '@gastown/contracts';
import { Bus, EventStore, histogram, secondsSince, serveCommands, withLogFields, type CommandServer } from '@gastown/bus';
import { trace } from '@opentelemetry/api';
import type { ReadinessCheck } from '@gastown/service-runtime';
import { AggregateStore } from '../aggregate/aggregate.store';
import { ConvoyConfig } from '../config/convoy.config';
import * as convoyDecider from '../convoy/convoy.decider';
import * as townDecider from '../town/town.decider';
import { CommandHandler } from './command.handler';

type ConvoyState = ReturnType<typeof convoyDecider.initialState>;
type TownState = ReturnType<typeof townDecider.initialTownState>;

/** Queue group: every replica of the convoy service shares the command load. */
const QUEUE = 'convoy-service';

/** Command types as the contracts name them: the only values of the metrics' `command` label. */
const COMMAND_TYPES = new Set<string>([...ConvoyCommand.options, ...TownCommand.options].map((o) => o.shape.type.value));
const commandDuration = histogram('gastown_command_duration_seconds');

/** What a command names of its town, convoy and bead, for the log lines and the trace of its handling. */
function scopeOf(payload: unknown): { type: string; townId?: string; convoyId?: string; beadId?: string } {
  const p = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;
  const data = (typeof p['data'] === 'object' && p['data'] !== null ? p['data'] : {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const type = text(p['type']);
  return {
    type: type !== undefined && COMMAND_TYPES.has(type) ? type : 'unknown',
    townId: text(p['townId']),
    convoyId: text(p['convoyId']),
    beadId: text(data['beadId']),
  };
}

/**
 * The only writer of town, convoy and bead events: parses a command, routes it to its
 * aggregate and decider, and answers with the decision's sequence or a specific error.
 */
export class ConvoyCommandService {
  private readonly logger = new Logger('convoy');
  private readonly handler: CommandHandler;
  private readonly towns: AggregateStore<TownState>;
  private readonly convoys: AggregateStore<ConvoyState>;
  private readonly servers: CommandServer[] = [];

  constructor(
    private readonly bus: Bus,
    private readonly config: ConvoyConfig,
  ) {
    const store = new EventStore(bus);
    this.handler = new CommandHandler(store);
    this.towns = new AggregateStore(store, { initialState: townDecider.initialTownState, evolve: townDecider.evolveTown });
    this.convoys = new AggregateStore(store, { initialState: convoyDecider.initialState, evolve: convoyDecider.evolve });
  }

  async start(): Promise<void> {
    const subjects = namesFor(this.config.namespace).commands;
    this.servers.push(serveCommands(this.bus, subjects.convoy, QUEUE, (p) => this.timed(p, (c) => this.convoyCommand(c))));
    this.servers.push(serveCommands(this.bus, subjects.town, QUEUE, (p) => this.timed(p, (c) => this.townCommand(c))));
    // "Ready" must mean the server already routes commands here, not that they are on their way.
    await this.bus.nc.flush();
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.splice(0).map((s) => s.stop()));
  }

  /** Ready: both command subscriptions are open, and the event stream answers (every decision is appended there). */
  readiness(): ReadinessCheck[] {
    return [
      {
        name: 'command subscriptions',
        check: () =>
          this.servers.length === 2 && this.servers.every((s) => s.active())
            ? { ok: true }
            : { ok: false, reason: 'the convoy and town command subjects are not both subscribed' },
      },
      {
        name: 'event stream',
        check: async () => {
          const info = await this.bus.jsm.streams.info(this.bus.names.eventStream);
          return { ok: true, detail: `at #${info.state.last_seq}` };
        },
      },
    ];
  }

  async townCommand(payload: unknown): Promise<CommandReply> {
    const parsed = TownCommand.safeParse(payload);
    if (!parsed.success) return invalid(parsed.error);
    const command = parsed.data;
    return this.handler.execute(this.towns, {
      subject: this.bus.names.townEvents(command.townId),
      townId: command.townId,
      convoyId: null,
      meta: command,
      creates: command.type === 'CreateTown',
      decide: (state, now) => townDecider.decideTown(command, state, { now, agents: this.config.agents, limits: this.config.limits }),
    });
  }

  async convoyCommand(payload: unknown): Promise<CommandReply> {
    const parsed = ConvoyCommand.safeParse(payload);
    if (!parsed.success) return invalid(parsed.error);
    const command = parsed.data;
    const townSubject = this.bus.names.townEvents(command.townId);
    let town = await this.towns.get(townSubject);
    for (;;) {
      const rigs = new Map([...town.aggregate.state.rigs.values()].map((r) => [r.rigId, r]));
      const reply = await this.handler.execute(this.convoys, {
        subject: this.bus.names.convoyEvents(command.townId, command.convoyId),
        townId: command.townId,
        convoyId: command.convoyId,
        meta: command,
        creates: command.type === 'SlingBatch' || command.type === 'Sling',
        decide: (state, now) =>
          convoyDecider.decide(command, state, {
            now,
            rigs,
            maxTasks: this.config.maxTasks,
            maxEdges: this.config.limits?.maxEdges ?? convoyDecider.DEFAULT_LIMITS.maxEdges,
            maxAttempts: this.config.maxAttempts,
            maxLandingAttempts: this.config.maxLandingAttempts,
            maxPlanBytes: this.config.maxPlanBytes ?? convoyDecider.DEFAULT_LIMITS.maxPlanBytes,
          }),
      });
      // A rig registered on another replica moments ago may be missing from this cache.
      if (!reply.ok && reply.error.code === 'BAD_USER_INPUT' && !town.fresh) {
        town = { aggregate: await this.towns.refresh(townSubject), fresh: true };
        continue;
      }
      return reply;
    }
  }

  private timed(payload: unknown, run: (p: unknown) => Promise<CommandReply>): Promise<CommandReply> {
    const scope = scopeOf(payload);
    const span = trace.getActiveSpan();
    span?.updateName(`handle ${scope.type}`);
    span?.setAttributes({ 'gastown.command': scope.type, ...(scope.townId ? { 'gastown.town_id': scope.townId } : {}), ...(scope.convoyId ? { 'gastown.convoy_id': scope.convoyId } : {}) });
    return withLogFields(scope, () => this.measured(scope.type, payload, run));
  }

  private async measured(type: string, payload: unknown, run: (p: unknown) => Promise<CommandReply>): Promise<CommandReply> {
    const started = performance.now();
    const reply = await run(payload);
    const outcome = reply.ok ? (reply.duplicate ? 'DUPLICATE' : 'OK') : reply.error.code;
    commandDuration.observe({ command: type, outcome }, secondsSince(started));
    trace.getActiveSpan()?.setAttribute('gastown.outcome', outcome);
    const ms = (performance.now() - started).toFixed(1);
    if (reply.ok) {
      const target = (reply.convoyId ?? reply.townId).slice(0, 8);
      this.logger.log(`${type} ${target} → seq ${reply.seq}${reply.duplicate ? ' (repeat)' : ''} in ${ms} ms`);
    } else {
      this.logger.warn(`${type} refused ${reply.error.code}: ${reply.error.message.slice(0, 300)} (${ms} ms)`);
    }
    return reply;
  }
}

function invalid(error: z.ZodError): CommandReply {
  const errors = error.issues.map((i) => ({ path: i.path, message: i.message }));
  return {
    ok: false,
    error: {
      code: 'BAD_USER_INPUT',
      message: errors.map((e) => `${e.path.join('.') || '(command)'}: ${e.message}`).join('; '),
      details: { errors },
    },
  };
}
