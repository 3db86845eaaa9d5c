import { lookup as systemLookup } from 'node:dns/promises';
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { egressProblem, parseIpAddress, type EgressAllowList, type IpAddress } from '@gastown/contracts';

/** The receiver's address is one the operator has not let towns reach; nothing was sent. */
export class EgressRefusedError extends Error {
  readonly code = 'EGRESS_REFUSED';

  constructor(message: string) {
    super(message);
    this.name = 'EgressRefusedError';
  }
}

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Every address a host name resolves to, as the socket would see them. */
export type WebhookResolver = (host: string) => Promise<ResolvedAddress[]>;

const resolveSystem: WebhookResolver = (host) => systemLookup(host, { all: true, verbatim: true });

/**
 * A socket lookup that answers only with addresses a town may reach: it runs when the socket
 * connects, so the address checked is the address used, whatever DNS says a moment earlier or
 * later. One forbidden answer refuses the whole name (a rebinding name mixes them).
 */
export function guardedLookup(allow: EgressAllowList, port: number, resolve: WebhookResolver = resolveSystem): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (answers) => {
        const checked: ResolvedAddress[] = [];
        for (const answer of answers) {
          const address = parseIpAddress(answer.address);
          if (!address) continue;
          const problem = egressProblem(allow, { host: hostname, port, address });
          if (problem) {
            callback(new EgressRefusedError(problem), '', 4);
            return;
          }
          checked.push({ address: answer.address, family: address.family });
        }
        const wanted = options.family === 4 || options.family === 6 ? checked.filter((a) => a.family === options.family) : checked;
        if (wanted.length === 0) {
          callback(Object.assign(new Error(`${hostname} does not resolve`), { code: 'ENOTFOUND' }), '', 4);
        } else if (options.all) {
          (callback as unknown as (error: null, addresses: ResolvedAddress[]) => void)(null, wanted);
        } else {
          callback(null, wanted[0].address, wanted[0].family);
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 4),
    );
  };
}

export interface WebhookPost {
  headers: OutgoingHttpHeaders;
  body: string;
  timeoutMs: number;
  allow: EgressAllowList;
  resolve?: WebhookResolver;
}

/**
 * POSTs once and resolves with the status code. Never follows a redirect (node:http does not),
 * never reads the answer's body, and connects only to an address the egress policy allows: a
 * literal address in the URL is checked here, a host name by the socket's lookup.
 */
export function postWebhook(url: string, post: WebhookPost): Promise<number> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  if (!secure && target.protocol !== 'http:') return Promise.reject(new EgressRefusedError(`the ${target.protocol} scheme is not an http(s) receiver`));
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = target.port === '' ? (secure ? 443 : 80) : Number(target.port);
  const literal: IpAddress | null = parseIpAddress(host);
  if (literal) {
    const problem = egressProblem(post.allow, { host, port, address: literal });
    if (problem) return Promise.reject(new EgressRefusedError(problem));
  }
  return new Promise<number>((resolve, reject) => {
    const request = (secure ? httpsRequest : httpRequest)(
      {
        method: 'POST',
        host,
        port,
        path: `${target.pathname}${target.search}`,
        headers: { ...post.headers, 'content-length': Buffer.byteLength(post.body) },
        lookup: guardedLookup(post.allow, port, post.resolve),
        agent: false,
        signal: AbortSignal.timeout(post.timeoutMs),
        ...(secure && !literal ? { servername: host } : {}),
      },
      (response) => {
        resolve(response.statusCode ?? 0);
        // Only the status matters; the socket is freed without reading what the receiver wrote.
        response.destroy();
      },
    );
    // Like fetch's errors, the socket's reason (ECONNREFUSED…) is the cause: the caller reports it without the URL.
    request.on('error', (error: Error) =>
      reject(error instanceof EgressRefusedError || error.name === 'AbortError' ? error : new Error('the request failed', { cause: error })),
    );
    request.end(post.body);
  });
}
