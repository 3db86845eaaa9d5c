import type { Bus } from './bus.connection';
import { UnsupportedServerError } from './bus.errors';

/**
 * The bus is written for nats-server 2.9.10 (Debian's package, which CI and dev machines run).
 * Newer servers accept some newer settings silently and drop them, so the code never relies on
 * them. This table is the one place that says what is missing and where a newer server would
 * let the code get simpler; change the spots it names together with the minimum version below.
 */
export interface CapabilityGap {
  readonly feature: string;
  readonly since: string;
  /** How the bus copes without it on 2.9. */
  readonly onServer29: string;
  /** What would change in the bus once every server has it. */
  readonly withNewerServer: string;
}

export const MINIMUM_SERVER_VERSION = '2.9.0';

export const JETSTREAM_GAPS: readonly CapabilityGap[] = [
  {
    feature: 'atomic batch publish',
    since: '2.12.0',
    onServer29:
      'one decision = one message; a decision above the inline limit goes to the object store first and the ' +
      'message carries the reference (event.store.ts append/decodeCommit). 2.9 stores a "batch" message by message.',
    withNewerServer:
      'publish a large decision as an atomic batch of event messages and drop the overflow path and its orphan objects.',
  },
  {
    feature: 'per-message TTL (Nats-TTL, KV per-key TTL, delete markers)',
    since: '2.11.0',
    onServer29:
      'claim-check objects for large requests and replies live in their own bucket with a bucket-wide max_age ' +
      '(bus.connection.ts claimCheckBucket) and are deleted by the reader.',
    withNewerServer: 'give each claim check its own TTL in the payload bucket and drop the separate bucket.',
  },
  {
    feature: 'wildcard expected last subject sequence (Nats-Expected-Last-Subject-Sequence-Subject)',
    since: '2.11.0',
    onServer29:
      'optimistic concurrency covers exactly one concrete subject, so every aggregate has its own subject and the ' +
      'event type travels in the payload (event.store.ts append).',
    withNewerServer: 'a decision could guard a wildcard (a whole town) while writing to a finer subject.',
  },
  {
    feature: 'multiple filter subjects per consumer, subject transforms',
    since: '2.10.0',
    onServer29:
      'one filter subject per consumer; a consumer that needs two subject families filters on their common ' +
      'wildcard and ignores the rest (consumer.runner.ts).',
    withNewerServer: 'pass filter_subjects and let the server skip the irrelevant messages.',
  },
  {
    feature: 'batch direct get',
    since: '2.11.0',
    onServer29:
      'reading one subject uses single direct gets for a short tail and an ordered consumer beyond that ' +
      '(subject.reader.ts).',
    withNewerServer: 'one batched direct get replaces the ephemeral consumer.',
  },
  {
    feature: 'expected last subject sequence checked within the replicated write (nats-server#4320)',
    since: '2.9.21',
    onServer29:
      'on a replicated stream (GT_STREAM_REPLICAS 3 or 5) the check is made before the write is agreed, and ' +
      'concurrent writers all pass it (measured here: 122 of 200 races stored more than one). Every commit and ' +
      'every compare-and-set KV write (leases, attempt claims, repository owners) also carries its place as ' +
      'message id, `<subject>@<sequence it follows>`, and the duplicate check, which counts writes in flight, ' +
      'stores only the first (event.store.ts positionId, kv.swaps.ts).',
    withNewerServer: 'the expected sequence alone would do; the position ids could go (they cost nothing but a duplicate lookup).',
  },
  {
    feature: 'message terminate reason in advisories, consumer pause, priority groups',
    since: '2.10.4 / 2.11.0',
    onServer29: 'parked messages are recorded by the runner itself on the DLQ stream before term().',
    withNewerServer: 'the terminate reason could ride on the advisory as well.',
  },
];

function parseVersion(version: string): [number, number, number] | null {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : null;
}

export function isVersionAtLeast(version: string, minimum: string): boolean {
  const have = parseVersion(version);
  const need = parseVersion(minimum);
  if (!have || !need) return false;
  for (let i = 0; i < 3; i++) {
    if (have[i] !== need[i]) return have[i] > need[i];
  }
  return true;
}

/** Logs the server version and refuses servers that lack what the bus relies on. */
export function assertServerVersion(bus: Pick<Bus, 'nc' | 'log'>): string {
  const version = bus.nc.info?.version ?? 'unknown';
  bus.log.info(`connected to nats-server ${version} (jetstream ${bus.nc.info?.jetstream ? 'on' : 'off'})`);
  if (!isVersionAtLeast(version, MINIMUM_SERVER_VERSION)) {
    throw new UnsupportedServerError(version, MINIMUM_SERVER_VERSION);
  }
  return version;
}
