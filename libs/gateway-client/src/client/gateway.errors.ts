/** Codes the gateway documents (see ErrorCode in contracts), plus UNREACHABLE when no answer came at all. */
export type GatewayErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNAUTHENTICATED'
  | 'UNAVAILABLE'
  | 'INTERNAL'
  | 'RATE_LIMITED'
  | 'QUERY_TOO_COSTLY'
  | 'DEADLINE_EXCEEDED'
  | 'UNREACHABLE';

/**
 * What the gateway refused, with the details it gave (a cycle's tasks, the offending field),
 * so a caller can explain the refusal instead of only repeating its message.
 */
export class GatewayError extends Error {
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'GatewayError';
  }

  /** For RATE_LIMITED: how long the gateway asked to wait before trying again, else null. */
  get retryAfterMs(): number | null {
    const value = this.details['retryAfterMs'];
    return this.code === 'RATE_LIMITED' && typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
  }
}

/** "retry in 2.5 s" for a RATE_LIMITED error, for tools that tell a person (or a model) when to come back. */
export function retryHint(error: GatewayError): string | null {
  const ms = error.retryAfterMs;
  if (ms === null) return null;
  return `retry in ${ms < 10_000 ? (Math.max(ms, 100) / 1000).toFixed(1) : Math.ceil(ms / 1000)} s`;
}
