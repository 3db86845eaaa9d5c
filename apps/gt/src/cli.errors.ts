import { GatewayError, PlanError, retryHint } from '@gastown/gateway-client';

/** Exit codes scripts rely on; `gt help` documents them. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  unreachable: 3,
  unauthenticated: 4,
  notFound: 5,
  rateLimited: 6,
} as const;

/** A mistake in the command line or its environment: nothing was sent. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A refusal or failure that a script can tell apart from a usage error by the exit code. */
export class CommandFailedError extends Error {
  constructor(
    message: string,
    readonly code = 'FAILED',
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'CommandFailedError';
  }
}

export interface ErrorReport {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError || error instanceof PlanError) return EXIT.usage;
  if (error instanceof GatewayError) {
    if (error.code === 'UNREACHABLE') return EXIT.unreachable;
    if (error.code === 'UNAUTHENTICATED') return EXIT.unauthenticated;
    if (error.code === 'NOT_FOUND') return EXIT.notFound;
    if (error.code === 'RATE_LIMITED') return EXIT.rateLimited;
  }
  return EXIT.failed;
}

export function reportOf(error: unknown): ErrorReport {
  if (error instanceof PlanError) return { code: 'INVALID_PLAN', message: error.message, details: { source: error.source, problems: error.problems } };
  if (error instanceof UsageError) return { code: 'USAGE', message: error.message, details: error.details };
  if (error instanceof GatewayError || error instanceof CommandFailedError) return { code: error.code, message: error.message, details: error.details };
  return { code: 'FAILED', message: error instanceof Error ? error.message : String(error), details: {} };
}

/** The text for stderr: `{"error":{code,message,details}}` with --json, else `gt: message` plus what to do next. */
export function formatError(error: unknown, json: boolean): string {
  const report = reportOf(error);
  if (json) return JSON.stringify({ error: report });
  const hint =
    report.code === 'UNAUTHENTICATED'
      ? '\n(check GT_TOKEN: it must be the token printed by `gt town create` for this gateway)'
      : report.code === 'UNREACHABLE'
        ? '\n(is the gateway running? set GATEWAY_URL or GATEWAY_PORT to where it listens)'
        : error instanceof GatewayError && error.code === 'RATE_LIMITED'
          ? `\n(the town is over its share of the gateway and gt waited as long as it may; ${retryHint(error) ?? 'retry shortly'}; nothing was changed)`
          : error instanceof GatewayError && error.code === 'QUERY_TOO_COSTLY'
            ? '\n(ask for less at once: fewer items per page or a narrower filter)'
            : '';
  return `gt: ${report.message}${hint}`;
}
