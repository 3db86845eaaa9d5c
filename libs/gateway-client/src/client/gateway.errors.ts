/** Codes the gateway documents (see ErrorCode in contracts), plus UNREACHABLE when no answer came at all. */
export type GatewayErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNAUTHENTICATED'
  | 'UNAVAILABLE'
  | 'INTERNAL'
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
}
