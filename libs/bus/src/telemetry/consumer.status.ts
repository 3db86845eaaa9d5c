import type { Bus } from '../bus.connection';
import { errorMessage } from '../bus.errors';
import { gaugeSource } from './metrics';

/**
 * Whether a consumer is bound (the server knows it and this process pulls from it), and how far
 * behind it is. Read by readiness probes and by the lag gauges at scrape time.
 */
export type ConsumerStatus =
  | { readonly bound: true; readonly pending: number; readonly ackPending: number }
  | { readonly bound: false; readonly reason: string };

/** A probe or a scrape never waits longer than this on the server; a silent server is an answer too. */
export const STATUS_TIMEOUT_MS = 2_000;
/** A probe and a scrape close together ask the server once. */
const STATUS_CACHE_MS = 1_000;

export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** The server's view of a durable consumer, as a status. */
export async function durableStatus(bus: Bus, stream: string, durable: string): Promise<ConsumerStatus> {
  if (bus.nc.isClosed()) return { bound: false, reason: 'the NATS connection is closed' };
  try {
    const info = await withTimeout(bus.jsm.consumers.info(stream, durable), STATUS_TIMEOUT_MS, `consumer info of ${durable}`);
    return { bound: true, pending: info.num_pending, ackPending: info.num_ack_pending };
  } catch (error) {
    return { bound: false, reason: errorMessage(error) };
  }
}

/** `read` at most once per `ms` (a second by default): concurrent callers share the answer in flight. */
export function cachedStatus<T = ConsumerStatus>(read: () => Promise<T>, ms = STATUS_CACHE_MS): () => Promise<T> {
  let last: { at: number; answer: Promise<T> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at > ms) last = { at: now, answer: read() };
    return last.answer;
  };
}

/**
 * Exports a running consumer's lag (pending and ack-pending messages) under its name; returns
 * the function that stops exporting it. Only consumers with fixed names belong here, never one
 * per client (a GraphQL subscription's follower), which would make the label unbounded.
 */
export function exportConsumerLag(consumer: string, status: () => Promise<ConsumerStatus>): () => void {
  const stops = [
    gaugeSource('gastown_consumer_pending_messages', async (set) => {
      const s = await status();
      if (s.bound) set({ consumer }, s.pending);
    }),
    gaugeSource('gastown_consumer_ack_pending_messages', async (set) => {
      const s = await status();
      if (s.bound) set({ consumer }, s.ackPending);
    }),
  ];
  return () => stops.forEach((stop) => stop());
}
