import { counter, PoisonMessageError, runMessageConsumer, type Bus, type BusLogger, type RawStoredMessage, type ConsumerStatus, type RunningConsumer } from '@gastown/bus';
import {
  WEBHOOK_EVENT_NAMES,
  WebhookDeliveryJob,
  webhookSecretContext,
  type WebhookAttemptOutcome,
  type WebhookAttemptRecord,
} from '@gastown/contracts';
import { backoffMs } from '../dispatch/dispatch.planner';
import type { WebhookSettings } from '../config/dispatcher.config';
import type { WebhookConfig } from './webhook.notifications';
import { EgressRefusedError, postWebhook, type WebhookResolver } from './webhook.egress';
import { webhookSignature } from './webhook.signature';
import { TownWebhooks } from './webhook.towns';

export const WEBHOOK_DELIVERER_DURABLE = 'webhook-deliverer';

export interface WebhookDelivererOptions {
  settings: WebhookSettings;
  log: BusLogger;
  durable?: string;
  /** How receiver host names are resolved; the system's resolver unless a test plays DNS. */
  resolve?: WebhookResolver;
}

/** What one POST came to: the HTTP status when there was an answer, the reason when it failed. */
export interface PostResult {
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly durationMs: number;
}

/** Thrown after a failed attempt is recorded, so the consumer retries the job later or parks it. */
class DeliveryFailedError extends Error {}

const ERROR_MAX_CHARS = 500;
/** How long the server waits beyond the POST's own timeout before it hands the job to another replica. */
const ACK_MARGIN_MS = 30_000;
/** Jobs waiting for their next attempt count as unacknowledged; they must not hold up new ones. */
const MAX_ACK_PENDING = 10_000;

const decoder = new TextDecoder();
const clip = (text: string) => (text.length > ERROR_MAX_CHARS ? `${text.slice(0, ERROR_MAX_CHARS)}…` : text);

/** The delays between attempts: exponential from the base, capped; one fewer than the attempts. */
export function retryDelaysMs({ maxAttempts, retryBaseMs, retryMaxMs }: Pick<WebhookSettings, 'maxAttempts' | 'retryBaseMs' | 'retryMaxMs'>): number[] {
  return Array.from({ length: maxAttempts - 1 }, (_, i) => backoffMs(i + 1, { retryBaseMs, retryMaxMs }));
}

/** 2xx is delivered; anything else is retried until the last attempt, which fails the delivery. */
export function attemptOutcome(result: PostResult, attempt: number, maxAttempts: number): WebhookAttemptOutcome {
  if (result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300) return 'DELIVERED';
  return attempt >= maxAttempts ? 'FAILED' : 'RETRYING';
}

/**
 * POSTs the queued deliveries. Each job is one delivery; each delivery of the job message is one
 * attempt, signed afresh and recorded in the delivery log whatever its outcome. A failed attempt is
 * retried by the server after the back-off; the last one fails the delivery and parks the job.
 * Neither the secret nor the body is ever logged.
 */
export class WebhookDeliverer {
  private readonly towns: TownWebhooks;
  private consumer: RunningConsumer | null = null;

  constructor(
    private readonly bus: Bus,
    private readonly options: WebhookDelivererOptions,
  ) {
    this.towns = new TownWebhooks(bus);
  }

  async start(): Promise<void> {
    if (this.consumer) return;
    const { settings } = this.options;
    this.consumer = await runMessageConsumer(this.bus, {
      durable: this.options.durable ?? WEBHOOK_DELIVERER_DURABLE,
      stream: this.bus.names.jobStream,
      filterSubject: this.bus.names.webhookJobs,
      maxDeliver: settings.maxAttempts,
      ackWaitMs: settings.timeoutMs + ACK_MARGIN_MS,
      backoffMs: retryDelaysMs(settings),
      concurrency: settings.concurrency,
      maxAckPending: MAX_ACK_PENDING,
      handler: (message, context) => this.deliver(message, context.deliveryCount),
    });
  }

  /** The consumer's name and whether it is bound, for the dispatcher's readiness. */
  status(): { durable: string; status(): Promise<ConsumerStatus> } {
    return {
      durable: this.options.durable ?? WEBHOOK_DELIVERER_DURABLE,
      status: () => this.consumer?.status() ?? Promise.resolve({ bound: false, reason: 'not started' }),
    };
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = null;
    await consumer?.stop();
  }

  private async deliver(message: RawStoredMessage, attempt: number): Promise<void> {
    const job = parseJob(message);
    const { maxAttempts } = this.options.settings;
    // Read at every attempt: a webhook removed while its delivery waits for a retry gets nothing more.
    const webhook = (await this.towns.before(job.townId)).get(job.webhookId);
    if (!webhook) {
      await this.record(job, attempt, { statusCode: null, error: 'the webhook was removed; nothing was sent', durationMs: 0 }, 'FAILED');
      return;
    }
    const result = await this.post(job, webhook);
    const outcome = attemptOutcome(result, attempt, maxAttempts);
    await this.record(job, attempt, result, outcome);
    if (outcome !== 'DELIVERED') throw new DeliveryFailedError(`delivery ${job.deliveryId} attempt ${attempt} of ${maxAttempts}: ${result.error}`);
  }

  private async post(job: WebhookDeliveryJob, webhook: WebhookConfig): Promise<PostResult> {
    const body = JSON.stringify(job.payload);
    const timestamp = Math.floor(Date.now() / 1000);
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const { timeoutMs, secrets } = this.options.settings;
    let key: string;
    try {
      key = secrets.open(webhook.secret, webhookSecretContext(job.townId, job.webhookId));
    } catch (error) {
      // Nothing goes out unsigned; the reason names a key id and the operator's settings, never a secret.
      return { statusCode: null, error: clip(`nothing was sent: the signing key cannot be opened (${(error as Error).message})`), durationMs: 0 };
    }
    try {
      const status = await postWebhook(webhook.url, {
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Gastown-Webhook/1',
          'x-gastown-event': WEBHOOK_EVENT_NAMES[job.event],
          'x-gastown-delivery': job.deliveryId,
          'x-gastown-timestamp': String(timestamp),
          'x-gastown-signature': webhookSignature(key, timestamp, body),
        },
        body,
        timeoutMs,
        // Towns name the receiver: it must not be the inside of the host's networks, and a redirect could carry the signed body anywhere.
        allow: this.options.settings.egressAllow ?? [],
        resolve: this.options.resolve,
      });
      const error =
        status >= 200 && status < 300
          ? null
          : status >= 300 && status < 400
            ? `the receiver answered ${status}; redirects are not followed`
            : `the receiver answered ${status}`;
      return { statusCode: status, error, durationMs: elapsed() };
    } catch (error) {
      if (error instanceof EgressRefusedError) return { statusCode: null, error: clip(`refused, nothing was sent: ${error.message}`), durationMs: elapsed() };
      return { statusCode: null, error: clip(failureOf(error, timeoutMs)), durationMs: elapsed() };
    }
  }

  private async record(job: WebhookDeliveryJob, attempt: number, result: PostResult, outcome: WebhookAttemptOutcome): Promise<void> {
    const record: WebhookAttemptRecord = {
      deliveryId: job.deliveryId,
      townId: job.townId,
      webhookId: job.webhookId,
      convoyId: job.convoyId,
      event: job.event,
      enqueuedAt: job.enqueuedAt,
      attempt,
      at: new Date().toISOString(),
      statusCode: result.statusCode,
      error: result.error,
      durationMs: result.durationMs,
      outcome,
    };
    await this.bus.js.publish(this.bus.names.webhookLog(job.townId, job.webhookId), JSON.stringify(record), {
      msgID: `${job.deliveryId}:${attempt}`,
    });
    deliveries.inc({ outcome: result.error?.startsWith('refused') ? 'refused' : OUTCOME_LABELS[outcome] });
    const answer = result.statusCode === null ? result.error : `HTTP ${result.statusCode}`;
    const line = `webhook delivery ${job.deliveryId} (webhook ${job.webhookId}) attempt ${attempt}: ${answer} in ${result.durationMs} ms → ${outcome}`;
    if (outcome === 'DELIVERED') this.options.log.info(line);
    else this.options.log.warn(line);
  }
}

const deliveries = counter('gastown_webhook_deliveries_total');
const OUTCOME_LABELS: Record<WebhookAttemptOutcome, string> = { DELIVERED: 'delivered', RETRYING: 'retry', FAILED: 'failed' };

function parseJob(message: RawStoredMessage): WebhookDeliveryJob {
  const poison = (reason: string) => new PoisonMessageError(message.subject, message.seq, reason);
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(message.data));
  } catch {
    throw poison('the webhook job is not valid JSON');
  }
  const parsed = WebhookDeliveryJob.safeParse(json);
  if (!parsed.success) {
    throw poison(`not a webhook job: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/**
 * Why no answer came, in words an operator can act on; undici hides the reason in `cause`. The
 * error's own message is left out: some quote the URL, and receiver URLs often carry a token.
 */
function failureOf(error: unknown, timeoutMs: number): string {
  // Duck-typed: fetch's errors (DOMException, undici's TypeError) need not come from this realm's Error.
  const { name, cause } = (typeof error === 'object' && error !== null ? error : {}) as { name?: unknown; cause?: { code?: unknown } };
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  if (typeof cause?.code === 'string') return `could not reach the receiver (${cause.code})`;
  return `could not reach the receiver (${typeof name === 'string' ? name : 'unknown error'})`;
}
