import fc from 'fast-check';
import {
  classifyAddress,
  egressAllowed,
  egressProblem,
  formatIpAddress,
  parseEgressAllowList,
  parseIpAddress,
  type EgressTarget,
} from './egress.policy';

const target = (host: string, port = 443, address = host): EgressTarget => {
  const parsed = parseIpAddress(address);
  if (!parsed) throw new Error(`test address ${address} does not parse`);
  return { host, port, address: parsed };
};

const kindOf = (text: string) => {
  const parsed = parseIpAddress(text);
  if (!parsed) throw new Error(`${text} does not parse`);
  return classifyAddress(parsed);
};

describe('address classification', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['169.254.0.1', 'link-local'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrier-grade-nat'],
    ['100.100.100.200', 'carrier-grade-nat'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['168.63.129.16', 'metadata'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd00:ec2::254', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::127.0.0.1', 'loopback'],
    ['::10.0.0.1', 'private'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['2002:7f00:1::', 'loopback'],
    ['::2', 'unspecified'],
  ])('given %s, when classified, then it is %s', (address, kind) => {
    expect(kindOf(address)).toBe(kind);
  });

  it.each([
    ['8.8.8.8'],
    ['140.82.121.3'],
    ['172.32.0.1'],
    ['172.15.255.255'],
    ['192.169.0.1'],
    ['100.128.0.1'],
    ['2606:4700::1111'],
    ['::ffff:8.8.8.8'],
  ])('given the public address %s, when classified, then it is public', (address) => {
    expect(kindOf(address)).toBe('public');
  });

  it.each([
    ['127.1', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['169.254.43518', '169.254.169.254'],
    ['0xa9.0xfe.0xa9.0xfe', '169.254.169.254'],
    ['[::ffff:127.0.0.1]', '::ffff:7f00:1'],
    ['FE80::1%eth0', 'fe80::1'],
  ])('given the odd spelling %s, when parsed, then it is the address %s', (spelling, canonical) => {
    const parsed = parseIpAddress(spelling);
    expect(parsed && formatIpAddress(parsed)).toBe(canonical);
  });

  it.each([['github.com'], ['127.0.0.1.nip.io'], ['1.2.3.4.5'], ['256.1.1.1'], ['1::2::3'], ['0x1g.1'], ['']])(
    'given the host name %s, when parsed, then it is no address',
    (text) => {
      expect(parseIpAddress(text)).toBeNull();
    },
  );

  it('given any IPv4 address, when written as one 32-bit number, then it classifies like its dotted form', () => {
    fc.assert(
      fc.property(fc.ipV4(), (dotted) => {
        const n = dotted.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
        expect(kindOf(String(n))).toBe(kindOf(dotted));
        expect(kindOf(`0x${n.toString(16)}`)).toBe(kindOf(dotted));
      }),
    );
  });

  it('given any IPv4 address, when mapped or embedded in IPv6, then it classifies as itself', () => {
    fc.assert(
      fc.property(fc.ipV4(), (dotted) => {
        expect(kindOf(`::ffff:${dotted}`)).toBe(kindOf(dotted));
        expect(kindOf(`64:ff9b::${dotted}`)).toBe(kindOf(dotted));
      }),
    );
  });

  it('given any IPv6 address, when formatted and parsed again, then it is the same address', () => {
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        const parsed = parseIpAddress(text);
        if (!parsed) throw new Error(`${text} does not parse`);
        expect(parseIpAddress(formatIpAddress(parsed))).toEqual(parsed);
      }),
    );
  });

  it('given any address inside 10/8, 172.16/12 or 192.168/16, then it is private', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    fc.assert(
      fc.property(octet, octet, octet, fc.integer({ min: 16, max: 31 }), (a, b, c, second) => {
        expect(kindOf(`10.${a}.${b}.${c}`)).toBe('private');
        expect(kindOf(`172.${second}.${b}.${c}`)).toBe('private');
        expect(kindOf(`192.168.${b}.${c}`)).toBe('private');
      }),
    );
  });
});

describe('the operator allow-list', () => {
  it('given nothing, then nothing is allowed and every inside address is refused', () => {
    const allow = parseEgressAllowList(undefined);
    expect(allow).toEqual([]);
    expect(egressProblem(allow, target('169.254.169.254', 80))).toBe(
      '169.254.169.254 resolves to 169.254.169.254, a link-local address, which the operator has not allowed (GASTOWN_EGRESS_ALLOW)',
    );
  });

  it('given a public address, then it needs no allow-list entry', () => {
    expect(egressProblem([], target('github.com', 443, '140.82.121.3'))).toBeNull();
  });

  it('given 127.0.0.1 allowed, when a loopback receiver is reached, then it is allowed on any port but 127.0.0.2 is not', () => {
    const allow = parseEgressAllowList('127.0.0.1');
    expect(egressProblem(allow, target('127.0.0.1', 4222))).toBeNull();
    expect(egressProblem(allow, target('127.0.0.2', 80))).toMatch(/127\.0\.0\.2, a loopback address/);
  });

  it('given 127.0.0.1 allowed, when reached through its IPv4-mapped form, then it is the same address', () => {
    expect(egressAllowed(parseEgressAllowList('127.0.0.1'), target('[::ffff:127.0.0.1]', 80, '::ffff:127.0.0.1'))).toBe(true);
  });

  it('given a host:port entry, then only that port is allowed', () => {
    const allow = parseEgressAllowList('127.0.0.1:8080, [::1]:9000 git.internal:443');
    expect(egressAllowed(allow, target('127.0.0.1', 8080))).toBe(true);
    expect(egressAllowed(allow, target('127.0.0.1', 4222))).toBe(false);
    expect(egressAllowed(allow, target('::1', 9000))).toBe(true);
    expect(egressAllowed(allow, target('git.internal', 443, '10.0.0.7'))).toBe(true);
    expect(egressAllowed(allow, target('git.internal', 22, '10.0.0.7'))).toBe(false);
    expect(egressAllowed(allow, target('evil.example', 443, '10.0.0.7'))).toBe(false);
  });

  it('given a CIDR, then every address inside it is allowed and none outside', () => {
    const allow = parseEgressAllowList('10.0.0.0/8,fd00::/8');
    fc.assert(
      fc.property(fc.ipV4(), (address) => {
        expect(egressAllowed(allow, target(address))).toBe(address.startsWith('10.'));
      }),
    );
    expect(egressAllowed(allow, target('fd12::1'))).toBe(true);
  });

  it.each([
    ['10.0.0.0/33', /"10\.0\.0\.0\/33" has a prefix length above 32/],
    ['127.1', /"127\.1" spells an IPv4 address in an unusual form/],
    ['host:99999', /"host:99999" has port "99999"/],
    ['::1:80', null],
    ['bad_host', /"bad_host" is not a host name/],
    ['1.2.3.4:5:6', /write IPv6 addresses in brackets/],
  ])('given the entry %s, when parsed, then it is refused naming the variable and the entry', (entry, message) => {
    if (message === null) {
      expect(parseEgressAllowList(entry)).toHaveLength(1);
      return;
    }
    expect(() => parseEgressAllowList(entry, 'GASTOWN_EGRESS_ALLOW')).toThrow(/^GASTOWN_EGRESS_ALLOW entry/);
    expect(() => parseEgressAllowList(entry)).toThrow(message);
  });
});
