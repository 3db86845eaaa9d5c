import { lookup } from 'node:dns/promises';
import { egressProblem, parseIpAddress, type EgressAllowList, type IpAddress } from '@gastown/contracts';

/** Every address a host name resolves to. */
export type HostResolver = (host: string) => Promise<string[]>;

const resolveSystem: HostResolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((answer) => answer.address);

export interface WebhookEgressCheck {
  /** GASTOWN_EGRESS_ALLOW, as the dispatcher reads it. */
  readonly allow: EgressAllowList;
  readonly resolve?: HostResolver;
  /** How long a host name may take to resolve. */
  readonly deadlineMs?: number;
}

const DEFAULT_DEADLINE_MS = 2_000;
const TIMED_OUT = Symbol('timed out');

/**
 * Why the dispatcher would refuse to deliver to this URL, told when the webhook is added rather
 * than at its first delivery: a literal address in any spelling (`127.1`, `[::ffff:169.254.169.254]`)
 * and every address its host name resolves to now are held to the egress policy. Null when
 * allowed, and when it cannot be told now: a URL the town decider refuses for its form, or a name
 * that does not resolve within the deadline. That lets nothing through, because the dispatcher
 * checks the address again at every connection (DNS can change after this answer).
 */
export async function webhookEgressProblem(url: string, check: WebhookEgressCheck): Promise<string | null> {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return null;
  }
  const secure = parsed.protocol === 'https:';
  if (!secure && parsed.protocol !== 'http:') return null;
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = parsed.port === '' ? (secure ? 443 : 80) : Number(parsed.port);
  const literal = parseIpAddress(host);
  const addresses = literal ? [literal] : await resolved(host, check);
  for (const address of addresses) {
    const problem = egressProblem(check.allow, { host, port, address });
    if (problem) return `url: ${problem}`;
  }
  return null;
}

async function resolved(host: string, { resolve = resolveSystem, deadlineMs = DEFAULT_DEADLINE_MS }: WebhookEgressCheck): Promise<IpAddress[]> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((done) => {
    timer = setTimeout(() => done(TIMED_OUT), deadlineMs);
  });
  try {
    const answers = await Promise.race([resolve(host), deadline]);
    if (answers === TIMED_OUT) return [];
    return answers.map(parseIpAddress).filter((address): address is IpAddress => address !== null);
  } catch {
    // Does not resolve (yet): delivery resolves it again and reports what it finds.
    return [];
  } finally {
    clearTimeout(timer);
  }
}
