import { ConsoleLogger, Logger, LogLevel } from '@nestjs/common';

/** Nest's start-up narration: one line per module and route, nothing an operator acts on. */
const BOOT_CHATTER = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication', 'GraphQLModule']);

/**
 * One log shape for every service: time, level, context, message. Colours only on a
 * terminal, since the launcher and log collectors read plain lines.
 */
export class ServiceLogger extends ConsoleLogger {
  constructor(logLevels: LogLevel[] = ['log', 'warn', 'error']) {
    super({ logLevels, colors: process.stdout.isTTY === true, prefix: '' });
  }

  override log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    if (typeof context === 'string' && BOOT_CHATTER.has(context)) return;
    super.log(message, ...rest);
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
