import { errors, nuid, RequestError, type Msg } from '@nats-io/transport-node';
import { z } from 'zod';
import { claimCheckBucket, type Bus } from './bus.connection';
import { errorMessage, NoResponderError, PayloadIntegrityError, RequestTimeoutError } from './bus.errors';
import { defaultInlineLimit, PayloadRef, PayloadStore } from './payload.store';
import { contextOfHeaders, inSpan, SpanKind, traceHeaders } from './telemetry/trace.context';

const CLAIM_CHECK_KEY = '$payloadRef';
const ClaimCheck = z.object({ [CLAIM_CHECK_KEY]: PayloadRef }).strict();
const DEFAULT_CONCURRENCY = 64;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface CommandBusOptions {
  /** Bodies above this travel through the object store. Default: server max_payload minus a header margin. */
  inlineLimitBytes?: number;
}

export interface ServeOptions extends CommandBusOptions {
  /** Handlers running at once in this process; further requests wait in the subscription. */
  concurrency?: number;
}

export interface CommandServer {
  stop(): Promise<void>;
  /** True while the subscription is open: requests on the subject reach this server. */
  active(): boolean;
}

export type CommandHandler = (payload: unknown) => Promise<unknown>;

/**
 * Large bodies become claim checks: the bytes go to the claim-check bucket and the message
 * carries only `{ "$payloadRef": ... }`. The receiver deletes the object once it has read it;
 * the bucket's max_age removes whatever a crash left behind.
 */
class ClaimChecks {
  readonly store: PayloadStore;

  constructor(
    bus: Bus,
    private readonly inlineLimit: number,
  ) {
    this.store = new PayloadStore(bus, claimCheckBucket(bus.names));
  }

  async encode(kind: 'request' | 'reply', value: unknown): Promise<{ body: Uint8Array; ref?: PayloadRef }> {
    const body = encoder.encode(JSON.stringify(value ?? null));
    if (body.length <= this.inlineLimit) return { body };
    const { ref } = await this.store.put(`${kind}/${nuid.next()}`, body);
    return { body: encoder.encode(JSON.stringify({ [CLAIM_CHECK_KEY]: ref })), ref };
  }

  async decode(body: Uint8Array): Promise<unknown> {
    const value: unknown = JSON.parse(decoder.decode(body));
    const claim = ClaimCheck.safeParse(value);
    if (!claim.success) return value;
    const ref = claim.data[CLAIM_CHECK_KEY];
    // The reader deletes what it read, so it must never follow a reference into another bucket
    // (the event payloads live next door).
    if (ref.bucket !== this.store.bucket) throw new PayloadIntegrityError(`claim check points outside ${this.store.bucket}`);
    const bytes = await this.store.get(ref);
    await this.store.delete(ref);
    return JSON.parse(decoder.decode(bytes));
  }
}

function isNoResponders(error: unknown): boolean {
  return (
    error instanceof errors.NoRespondersError || (error instanceof RequestError && error.isNoResponders())
  );
}

export class CommandClient {
  private readonly claims: ClaimChecks;

  constructor(
    private readonly bus: Bus,
    options: CommandBusOptions = {},
  ) {
    this.claims = new ClaimChecks(bus, options.inlineLimitBytes ?? defaultInlineLimit(bus));
  }

  /** JSON request/reply; the reply is returned as sent, callers validate it against their contract. */
  async request<T>(subject: string, payload: unknown, { timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<T> {
    const { body, ref } = await this.claims.encode('request', payload);
    let reply: Msg;
    try {
      reply = await inSpan('send command', { kind: SpanKind.CLIENT, attributes: { 'messaging.system': 'nats', 'messaging.destination.name': subject } }, () => {
        // The handler continues this trace: the context travels in the request's headers.
        const headers = traceHeaders();
        return this.bus.nc.request(subject, body, { timeout: timeoutMs, ...(headers ? { headers } : {}) });
      });
    } catch (error) {
      if (isNoResponders(error)) {
        // Nobody received the claim check, so nobody else will delete it.
        if (ref) await this.claims.store.delete(ref).catch(() => undefined);
        throw new NoResponderError(subject);
      }
      if (error instanceof errors.TimeoutError) throw new RequestTimeoutError(subject, timeoutMs);
      throw error;
    }
    return (await this.claims.decode(reply.data)) as T;
  }
}

function internalError(message: string) {
  return { ok: false, error: { code: 'INTERNAL', message } } as const;
}

/**
 * Answers requests on `subject` as one member of `queueGroup`. Handlers run concurrently up to
 * `concurrency`; a thrown error is answered as INTERNAL with its message only, never its stack.
 */
export function serveCommands(
  bus: Bus,
  subject: string,
  queueGroup: string,
  handler: CommandHandler,
  options: ServeOptions = {},
): CommandServer {
  const claims = new ClaimChecks(bus, options.inlineLimitBytes ?? defaultInlineLimit(bus));
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const subscription = bus.nc.subscribe(subject, { queue: queueGroup });
  const inFlight = new Set<Promise<void>>();

  const reply = (msg: Msg, body: Uint8Array) => {
    try {
      msg.respond(body);
    } catch (error) {
      bus.log.error(`could not reply on ${subject}: ${errorMessage(error)}`);
    }
  };

  const encodeReply = async (value: unknown): Promise<Uint8Array> => {
    try {
      return (await claims.encode('reply', value)).body;
    } catch (error) {
      bus.log.error(`could not encode the reply on ${subject}: ${errorMessage(error)}`);
      return encoder.encode(JSON.stringify(internalError('the reply could not be encoded')));
    }
  };

  const serve = async (msg: Msg) => {
    let payload: unknown;
    try {
      payload = await claims.decode(msg.data);
    } catch (error) {
      // JSON.parse's message quotes the body; neither the log nor the reply repeats it.
      const message = error instanceof SyntaxError ? 'the request is not valid JSON' : errorMessage(error);
      bus.log.error(`could not read a request on ${subject}: ${message}`);
      if (msg.reply) reply(msg, encoder.encode(JSON.stringify(internalError(message))));
      return;
    }
    let result: unknown;
    try {
      result = await handler(payload);
    } catch (error) {
      const message = errorMessage(error);
      bus.log.error(`command handler on ${subject} failed: ${message}`);
      result = internalError(message);
    }
    if (msg.reply) reply(msg, await encodeReply(result));
  };
  // Each request continues the trace of its sender, whose context came in the headers.
  const serveInSpan = (msg: Msg) =>
    inSpan('handle command', { kind: SpanKind.SERVER, parent: contextOfHeaders(msg.headers), attributes: { 'messaging.system': 'nats', 'messaging.destination.name': subject } }, () =>
      serve(msg),
    );

  const loop = (async () => {
    for await (const msg of subscription) {
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
      const task: Promise<void> = serveInSpan(msg).finally(() => inFlight.delete(task));
      inFlight.add(task);
    }
  })().catch((error: unknown) => {
    bus.log.error(`command subscription on ${subject} ended: ${errorMessage(error)}`);
  });

  let stopped: Promise<void> | undefined;
  return {
    active: () => !subscription.isClosed(),
    stop: () =>
      (stopped ??= (async () => {
        await subscription.drain();
        await loop;
        await Promise.all(inFlight);
      })()),
  };
}
