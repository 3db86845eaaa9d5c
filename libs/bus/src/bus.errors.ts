/** The subject moved on since the writer read it: reload, decide again, retry. */
export class WrongExpectedSequenceError extends Error {
  constructor(
    readonly subject: string,
    readonly expectedSeq: number,
    /** The subject's last sequence as the server reported it, when it said. */
    readonly actualSeq: number | undefined,
  ) {
    super(
      `${subject} is not at sequence ${expectedSeq}` + (actualSeq === undefined ? '' : ` (it is at ${actualSeq})`),
    );
    this.name = 'WrongExpectedSequenceError';
  }
}

/**
 * The server answered an append with an error other than a conflict (the stream is full, its
 * storage failed, a limit was hit): the commit was not stored, so the writer may retry it with
 * the same commit id once the cause is gone.
 */
export class AppendRefusedError extends Error {
  constructor(
    readonly subject: string,
    /** The JetStream error code, e.g. 10077 for a store failure such as "maximum bytes exceeded". */
    readonly code: number,
    /** The server's own description. */
    readonly reason: string,
  ) {
    super(`the event store refused the write to ${subject}: ${reason}`);
    this.name = 'AppendRefusedError';
  }
}

/**
 * A stored message that can never be decoded, however often it is retried. Consumers park it;
 * the reason names what is wrong without quoting the message body.
 */
export class PoisonMessageError extends Error {
  constructor(
    readonly subject: string,
    readonly seq: number,
    readonly reason: string,
  ) {
    super(`poison message ${subject}#${seq}: ${reason}`);
    this.name = 'PoisonMessageError';
  }
}

export class NoResponderError extends Error {
  constructor(readonly subject: string) {
    super(`no convoy service is listening on ${subject}`);
    this.name = 'NoResponderError';
  }
}

export class RequestTimeoutError extends Error {
  constructor(
    readonly subject: string,
    readonly timeoutMs: number,
  ) {
    super(`no reply on ${subject} within ${timeoutMs} ms`);
    this.name = 'RequestTimeoutError';
  }
}

/** A claim-check or overflow object that is missing or does not match its reference. */
export class PayloadIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadIntegrityError';
  }
}

export class UnsupportedServerError extends Error {
  constructor(version: string, minimum: string) {
    super(`nats-server ${version} is older than the minimum ${minimum} this bus is written for`);
    this.name = 'UnsupportedServerError';
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
