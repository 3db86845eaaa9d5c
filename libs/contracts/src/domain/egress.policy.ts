import { z } from 'zod';

/**
 * Which network addresses a town may make the system connect to (git remotes, webhook
 * receivers). Towns are untrusted: a URL that reaches loopback, the host's private networks or a
 * cloud metadata service would let a town probe and reach the inside. Pure logic only, so the
 * dispatcher and the git-runner apply the same rules to the address they are about to connect to.
 */

/** An IPv4 address is 4 bytes, an IPv6 address 16; kept as bytes so ranges compare exactly. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly bytes: readonly number[];
}

export type AddressClass =
  | 'public'
  | 'loopback'
  | 'link-local'
  | 'private'
  | 'unique-local'
  | 'carrier-grade-nat'
  | 'unspecified'
  | 'multicast'
  | 'metadata'
  | 'reserved';

const DESCRIPTION: Record<Exclude<AddressClass, 'public'>, string> = {
  loopback: 'a loopback address',
  'link-local': 'a link-local address',
  private: 'a private address',
  'unique-local': 'a unique-local address',
  'carrier-grade-nat': 'a carrier-grade NAT address',
  unspecified: 'an unspecified address',
  multicast: 'a multicast address',
  metadata: 'a cloud metadata address',
  reserved: 'a reserved address',
};

/** The words a refusal uses for a class, e.g. "a link-local address". */
export function describeAddressClass(kind: Exclude<AddressClass, 'public'>): string {
  return DESCRIPTION[kind];
}

/**
 * One IPv4 number part as inet_aton reads it: `0x` hex, a leading `0` octal, else decimal. These
 * are the spellings resolvers accept (`127.1`, `0x7f.1`, `2130706433`), so they must be read the
 * same way here or a literal would slip past as a "host name".
 */
function ipv4Part(text: string): number | null {
  if (/^0x[0-9a-f]*$/i.test(text)) return text.length === 2 ? 0 : parseInt(text.slice(2), 16);
  if (/^0[0-7]*$/.test(text)) return parseInt(text, 8);
  if (/^[1-9][0-9]*$/.test(text)) return Number(text);
  return null;
}

/** An IPv4 literal in any inet_aton spelling (1 to 4 parts, the last filling the remaining bytes), or null. */
export function parseIpv4(text: string): IpAddress | null {
  const parts = text.split('.');
  if (parts.length > 4 || parts.some((part) => part === '')) return null;
  const numbers = parts.map(ipv4Part);
  if (numbers.some((n) => n === null || n > 0xffffffff)) return null;
  const values = numbers as number[];
  const head = values.slice(0, -1);
  if (head.some((n) => n > 255)) return null;
  const last = values[values.length - 1];
  const restBytes = 4 - head.length;
  if (last >= 2 ** (8 * restBytes)) return null;
  const tail = Array.from({ length: restBytes }, (_, i) => Math.floor(last / 2 ** (8 * (restBytes - 1 - i))) % 256);
  return { family: 4, bytes: [...head, ...tail] };
}

/** An IPv6 literal, with or without brackets and zone, or null. */
export function parseIpv6(text: string): IpAddress | null {
  let body = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  body = body.replace(/%[^%]*$/, '');
  if (!/^[0-9a-f:.]+$/i.test(body) || !body.includes(':')) return null;
  let embedded: number[] = [];
  const lastColon = body.lastIndexOf(':');
  if (body.slice(lastColon + 1).includes('.')) {
    const v4 = /^\d{1,3}(\.\d{1,3}){3}$/.test(body.slice(lastColon + 1)) ? parseIpv4(body.slice(lastColon + 1)) : null;
    if (!v4) return null;
    embedded = [...v4.bytes];
    body = `${body.slice(0, lastColon + 1)}0:0`;
  }
  const halves = body.split('::');
  if (halves.length > 2) return null;
  const groups = (half: string) => (half === '' ? [] : half.split(':'));
  const left = groups(halves[0]);
  const right = halves.length === 2 ? groups(halves[1]) : [];
  if ([...left, ...right].some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return null;
  const missing = 8 - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const words = [...left, ...Array.from({ length: missing }, () => '0'), ...right].map((g) => parseInt(g, 16));
  const bytes = words.flatMap((w) => [w >> 8, w & 0xff]);
  if (embedded.length === 4) bytes.splice(12, 4, ...embedded);
  return { family: 6, bytes };
}

/** A literal IP address in any spelling a resolver accepts, or null for a host name. */
export function parseIpAddress(text: string): IpAddress | null {
  return parseIpv4(text) ?? parseIpv6(text);
}

export function formatIpAddress(address: IpAddress): string {
  if (address.family === 4) return address.bytes.join('.');
  const words = Array.from({ length: 8 }, (_, i) => (address.bytes[2 * i] << 8) | address.bytes[2 * i + 1]);
  // The longest run of zero words (two at least) becomes "::", as RFC 5952 writes it.
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > best.length && j - i >= 2) best = { start: i, length: j - i };
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best.start < 0) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}

interface Range {
  family: 4 | 6;
  prefix: number[];
  bits: number;
}

function range(cidr: string): Range {
  const [text, bits] = cidr.split('/');
  const address = parseIpAddress(text);
  if (!address) throw new Error(`bad built-in range ${cidr}`);
  return { family: address.family, prefix: [...address.bytes], bits: Number(bits) };
}

function inRange(address: IpAddress, { family, prefix, bits }: Range): boolean {
  if (address.family !== family) return false;
  for (let i = 0; i < bits; i++) {
    const mask = 0x80 >> i % 8;
    if ((address.bytes[i >> 3] & mask) !== (prefix[i >> 3] & mask)) return false;
  }
  return true;
}

/** Most specific first: a metadata address is also link-local or public, and its own name says more. */
const IPV4_CLASSES: [Range, Exclude<AddressClass, 'public'>][] = (
  [
    ['168.63.129.16/32', 'metadata'],
    ['0.0.0.0/8', 'unspecified'],
    ['10.0.0.0/8', 'private'],
    ['100.64.0.0/10', 'carrier-grade-nat'],
    ['127.0.0.0/8', 'loopback'],
    ['169.254.0.0/16', 'link-local'],
    ['172.16.0.0/12', 'private'],
    ['192.0.0.0/24', 'reserved'],
    ['192.0.2.0/24', 'reserved'],
    ['192.88.99.0/24', 'reserved'],
    ['192.168.0.0/16', 'private'],
    ['198.18.0.0/15', 'reserved'],
    ['198.51.100.0/24', 'reserved'],
    ['203.0.113.0/24', 'reserved'],
    ['224.0.0.0/4', 'multicast'],
    ['240.0.0.0/4', 'reserved'],
  ] as const
).map(([cidr, kind]) => [range(cidr), kind]);

const IPV6_CLASSES: [Range, Exclude<AddressClass, 'public'>][] = (
  [
    ['::/128', 'unspecified'],
    ['::1/128', 'loopback'],
    ['100::/64', 'reserved'],
    ['2001::/32', 'reserved'],
    ['2001:db8::/32', 'reserved'],
    ['fc00::/7', 'unique-local'],
    ['fe80::/10', 'link-local'],
    ['fec0::/10', 'private'],
    ['ff00::/8', 'multicast'],
  ] as const
).map(([cidr, kind]) => [range(cidr), kind]);

/** IPv6 forms that carry an IPv4 address a packet can end up at: classified by that address. */
const EMBEDDED_IPV4: { range: Range; at: number }[] = [
  { range: range('::ffff:0:0/96'), at: 12 },
  { range: range('::/96'), at: 12 },
  { range: range('64:ff9b::/96'), at: 12 },
  { range: range('64:ff9b:1::/48'), at: 12 },
  { range: range('2002::/16'), at: 2 },
];

/** The IPv4 address inside an IPv4-mapped, -compatible, NAT64 or 6to4 IPv6 address, or null. */
export function embeddedIpv4(address: IpAddress): IpAddress | null {
  if (address.family !== 6) return null;
  // `::` and `::1` are IPv6's own unspecified and loopback addresses, not IPv4-compatible ones.
  if (address.bytes.slice(0, 15).every((b) => b === 0) && address.bytes[15] <= 1) return null;
  const form = EMBEDDED_IPV4.find(({ range: r }) => inRange(address, r));
  return form ? { family: 4, bytes: address.bytes.slice(form.at, form.at + 4) } : null;
}

export function classifyAddress(address: IpAddress): AddressClass {
  const inner = embeddedIpv4(address);
  if (inner) return classifyAddress(inner);
  const table = address.family === 4 ? IPV4_CLASSES : IPV6_CLASSES;
  return table.find(([r]) => inRange(address, r))?.[1] ?? 'public';
}

/** One operator allow-list entry: addresses (a CIDR or one address) or a host name, on any port or one port. */
export type EgressAllowEntry =
  | { readonly kind: 'range'; readonly family: 4 | 6; readonly prefix: readonly number[]; readonly bits: number; readonly port?: number }
  | { readonly kind: 'host'; readonly host: string; readonly port?: number };

export type EgressAllowList = readonly EgressAllowEntry[];

export class EgressAllowListError extends Error {
  constructor(variable: string, entry: string, why: string) {
    super(`${variable} entry ${JSON.stringify(entry)} ${why}; expected a CIDR (10.0.0.0/8), an address (127.0.0.1, [::1]), either with :port, or host:port`);
    this.name = 'EgressAllowListError';
  }
}

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

function parsePort(text: string | undefined, fail: (why: string) => Error): number | undefined {
  if (text === undefined) return undefined;
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) throw fail(`has port ${JSON.stringify(text)}, not a number from 1 to 65535`);
  return port;
}

/**
 * The operator's allow-list (e.g. GASTOWN_EGRESS_ALLOW): entries separated by commas or white
 * space. Throws EgressAllowListError naming the variable and the first bad entry.
 */
export function parseEgressAllowList(text: string | undefined, variable = 'GASTOWN_EGRESS_ALLOW'): EgressAllowList {
  const entries = (text ?? '').split(/[\s,]+/).filter((entry) => entry !== '');
  return entries.map((entry): EgressAllowEntry => {
    const fail = (why: string) => new EgressAllowListError(variable, entry, why);
    const cidr = /^(.+)\/(\d{1,3})$/.exec(entry);
    if (cidr) {
      const address = parseStrictIp(cidr[1]);
      if (!address) throw fail('is not a CIDR of a dotted-quad IPv4 or an IPv6 address');
      const bits = Number(cidr[2]);
      if (bits > address.bytes.length * 8) throw fail(`has a prefix length above ${address.bytes.length * 8}`);
      return { kind: 'range', family: address.family, prefix: address.bytes, bits };
    }
    const bracketed = /^\[([^\]]+)\](?::([^:]*))?$/.exec(entry);
    if (bracketed) {
      const address = parseIpv6(bracketed[1]);
      if (!address) throw fail('is not an IPv6 address');
      return { kind: 'range', family: 6, prefix: address.bytes, bits: 128, port: parsePort(bracketed[2], fail) };
    }
    const bareV6 = (entry.match(/:/g) ?? []).length > 1 ? parseIpv6(entry) : null;
    if (bareV6) return { kind: 'range', family: 6, prefix: bareV6.bytes, bits: 128 };
    const [host, port, ...extra] = entry.split(':');
    if (extra.length > 0) throw fail('is not understood (write IPv6 addresses in brackets when a port follows)');
    const parsedPort = parsePort(port, fail);
    const v4 = /^\d{1,3}(\.\d{1,3}){3}$/.test(host) ? parseIpv4(host) : null;
    if (v4) return { kind: 'range', family: 4, prefix: v4.bytes, bits: 32, port: parsedPort };
    if (parseIpv4(host)) throw fail('spells an IPv4 address in an unusual form; write it as a dotted quad');
    if (!HOST_NAME.test(host)) throw fail('is not a host name');
    return { kind: 'host', host: host.toLowerCase(), port: parsedPort };
  });
}

/** Only the plain spellings an operator means: a dotted quad or an IPv6 address. */
function parseStrictIp(text: string): IpAddress | null {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(text) ? parseIpv4(text) : parseIpv6(text);
}

/** Where a connection is about to go: the host as the URL names it, the port, and the address it resolved to. */
export interface EgressTarget {
  readonly host: string;
  readonly port: number;
  readonly address: IpAddress;
}

export function egressAllowed(allow: EgressAllowList, target: EgressTarget): boolean {
  const host = target.host.toLowerCase().replace(/^\[|\]$/g, '');
  const inner = embeddedIpv4(target.address);
  return allow.some((entry) => {
    if (entry.port !== undefined && entry.port !== target.port) return false;
    if (entry.kind === 'host') return entry.host === host;
    const r: Range = { family: entry.family, prefix: [...entry.prefix], bits: entry.bits };
    return inRange(target.address, r) || (inner !== null && inRange(inner, r));
  });
}

/**
 * Why the system must not connect to this target, or null when it may: a public address, or one
 * the operator allow-listed. The message names the host, the address and its kind, e.g.
 * "169.254.169.254 resolves to 169.254.169.254, a link-local address".
 */
export function egressProblem(allow: EgressAllowList, target: EgressTarget): string | null {
  const kind = classifyAddress(target.address);
  if (kind === 'public' || egressAllowed(allow, target)) return null;
  return `${target.host} resolves to ${formatIpAddress(target.address)}, ${describeAddressClass(kind)}, which the operator has not allowed (GASTOWN_EGRESS_ALLOW)`;
}

/** The allow-list as an operator setting: an unset variable allows nothing inside; a bad entry is refused naming the variable. */
export function egressAllowSetting(variable = 'GASTOWN_EGRESS_ALLOW') {
  return z
    .string()
    .optional()
    .transform((text, ctx): EgressAllowList => {
      try {
        return parseEgressAllowList(text, variable);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
        return z.NEVER;
      }
    });
}
