export type DomainErrorCode = 'BAD_USER_INPUT' | 'NOT_FOUND' | 'CONFLICT';

/**
 * A rejection the caller can act on. The command adapter turns it into a CommandError reply
 * unchanged, so the message is written for the user and `details` points at the offending input.
 */
export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  static badInput(message: string, details?: Record<string, unknown>): DomainError {
    return new DomainError('BAD_USER_INPUT', message, details);
  }

  static notFound(message: string, details?: Record<string, unknown>): DomainError {
    return new DomainError('NOT_FOUND', message, details);
  }

  static conflict(message: string, details?: Record<string, unknown>): DomainError {
    return new DomainError('CONFLICT', message, details);
  }
}

/** One rejected input value, addressed the way the client sent it. */
export interface InputError {
  path: (string | number)[];
  value: unknown;
  message: string;
}

const MESSAGE_CAP = 20;

/**
 * Reports every problem at once so a user fixes a plan in one round trip; the message stays
 * readable by naming the first twenty, while `details.errors` keeps them all for tooling.
 */
export function rejectInput(errors: readonly InputError[]): DomainError {
  const shown = errors.slice(0, MESSAGE_CAP).map((e) => e.message);
  if (errors.length > MESSAGE_CAP) shown.push(`and ${errors.length - MESSAGE_CAP} more`);
  return DomainError.badInput(shown.join('; '), { errors: [...errors] });
}
