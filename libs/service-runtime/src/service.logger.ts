import { ConsoleLogger, Logger, LogLevel } from '@nestjs/common';
import { activeTraceIds, currentLogFields } from '@gastown/bus';
import { redactCredentials } from '@gastown/contracts';

/** Nest's start-up narration: one line per module and route, nothing an operator acts on. */
const BOOT_CHATTER = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication', 'GraphQLModule']);

/**
 * How log lines are written: `json`, one object per line for collectors, or `text` for a person.
 * GT_LOG_FORMAT chooses; unset, a terminal gets text and anything else (a pipe, a file, a
 * container's log driver) gets JSON.
 */
export type LogFormat = 'json' | 'text';
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'text'];

export function logFormatOf(env: NodeJS.ProcessEnv = process.env, terminal = process.stdout.isTTY === true): LogFormat {
  const chosen = env['GT_LOG_FORMAT'];
  if (chosen === 'json' || chosen === 'text') return chosen;
  return terminal ? 'text' : 'json';
}

interface LogSettings {
  service: string;
  format: LogFormat;
}

/** Set once by a service's main (configureLogs); tests and tools that never call it get text. */
let settings: LogSettings = { service: 'gastown', format: 'text' };

/** Names the process in every JSON line and picks the format, before the first ServiceLogger is made. */
export function configureLogs(service: string, format: LogFormat = logFormatOf()): void {
  settings = { service, format };
}

/** Nest's levels as log collectors name them. */
const LEVELS: Record<LogLevel, string> = { log: 'info', warn: 'warn', error: 'error', fatal: 'fatal', debug: 'debug', verbose: 'trace' };

/**
 * The JSON object of one line: time, level, service, context, message, then the ids of the
 * town, convoy, bead and rig being handled (the bus's withLogFields, set by the bus and the
 * services around each command, commit, job and dispatch) and the active trace, when there
 * are any. Every message and stack goes through the contracts' credential redaction first.
 */
export function jsonLogLine(input: { level: LogLevel; message: unknown; context?: string; stack?: unknown; service: string; time?: Date }): Record<string, unknown> {
  const line: Record<string, unknown> = {
    time: (input.time ?? new Date()).toISOString(),
    level: LEVELS[input.level] ?? input.level,
    service: input.service,
  };
  if (input.context) line['context'] = input.context;
  line['message'] = typeof input.message === 'string' ? redactCredentials(input.message) : input.message;
  Object.assign(line, currentLogFields());
  const ids = activeTraceIds();
  if (ids) Object.assign(line, ids);
  if (typeof input.stack === 'string' && input.stack !== '') line['stack'] = redactCredentials(input.stack);
  return line;
}

/**
 * One log shape for every service. Text: time, level, context, message, colours only on a
 * terminal. JSON (Nest's own JSON logger, with the object above): one line per entry.
 */
export class ServiceLogger extends ConsoleLogger {
  private readonly service: string;

  constructor(logLevels: LogLevel[] = ['log', 'warn', 'error'], format: LogFormat = settings.format, service = settings.service) {
    super(format === 'json' ? { logLevels, json: true, colors: false } : { logLevels, colors: process.stdout.isTTY === true, prefix: '' });
    this.service = service;
  }

  override log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    if (typeof context === 'string' && BOOT_CHATTER.has(context)) return;
    super.log(message, ...rest);
  }

  protected override printMessages(messages: unknown[], context?: string, logLevel?: LogLevel, writeStreamType?: 'stdout' | 'stderr', errorStack?: unknown): void {
    const redacted = messages.map((m) => (typeof m === 'string' ? redactCredentials(m) : m));
    super.printMessages(redacted, context, logLevel, writeStreamType, errorStack);
  }

  protected override printAsJson(
    message: unknown,
    options: { context: string; logLevel: LogLevel; writeStreamType?: 'stdout' | 'stderr'; errorStack?: unknown },
  ): void {
    const line = jsonLogLine({ level: options.logLevel, message, context: options.context, stack: options.errorStack, service: this.service });
    // Nest's own serialiser: circular references and huge values are cut, never thrown on.
    process[options.writeStreamType ?? 'stdout'].write(`${this.stringifyJsonLogObject(line)}\n`);
  }

  protected override formatPid(): string {
    return '';
  }

  protected override getTimestamp(): string {
    return new Date().toISOString().slice(11, 23);
  }
}

/** A line logger (info/warn/error) over Nest's logger, for libraries that do not know Nest. */
export function lineLogger(context: string): { info(line: string): void; warn(line: string): void; error(line: string): void } {
  const logger = new Logger(context);
  return { info: (line) => logger.log(line), warn: (line) => logger.warn(line), error: (line) => logger.error(line) };
}
