import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseEgressAllowList } from '@gastown/contracts';
import { startHttpReceiver, type HttpReceiver } from '@gastown/testing';
import { EgressRefusedError, postWebhook, type ResolvedAddress } from './webhook.egress';

const headers = { 'content-type': 'application/json' };

describe('webhook egress (real sockets on loopback)', () => {
  let receiver: HttpReceiver;
  let port: number;
  const dns = new Map<string, ResolvedAddress[]>();
  const resolve = async (host: string) => dns.get(host) ?? [];

  beforeAll(async () => {
    receiver = await startHttpReceiver(204);
    port = Number(new URL(receiver.url).port);
  });
  afterAll(() => receiver.close());
  beforeEach(() => {
    receiver.requests.length = 0;
  });

  const post = (url: string, allow: string) => postWebhook(url, { headers, body: '{"n":1}', timeoutMs: 2_000, allow: parseEgressAllowList(allow), resolve });

  it('given a name that resolves to an allowed address, when posted, then the receiver gets it', async () => {
    dns.set('hooks.example', [{ address: '127.0.0.1', family: 4 }]);
    await expect(post(`http://hooks.example:${port}/hooks/gastown`, `127.0.0.1:${port}`)).resolves.toBe(204);
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0].headers.host).toBe(`hooks.example:${port}`);
  });

  it('given the same name answering a private address at delivery time, when posted, then nothing is sent and the address is named', async () => {
    dns.set('hooks.example', [{ address: '10.1.2.3', family: 4 }]);
    const refused = await post(`http://hooks.example:${port}/hooks/gastown`, `127.0.0.1:${port}`).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(EgressRefusedError);
    expect((refused as Error).message).toBe(
      'hooks.example resolves to 10.1.2.3, a private address, which the operator has not allowed (GASTOWN_EGRESS_ALLOW)',
    );
    expect(receiver.requests).toEqual([]);
  });

  it('given a name answering one public and one loopback address, when posted, then it is refused as a whole', async () => {
    dns.set('rebind.example', [
      { address: '140.82.121.3', family: 4 },
      { address: '::1', family: 6 },
    ]);
    await expect(post(`http://rebind.example:${port}/`, '')).rejects.toThrow(/rebind\.example resolves to ::1, a loopback address/);
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254, a link-local address/],
    ['http://127.1:4222/', /127\.0\.0\.1, a loopback address/],
    ['http://0x7f.1:4222/', /127\.0\.0\.1, a loopback address/],
    ['http://2130706433:4222/', /127\.0\.0\.1, a loopback address/],
    ['http://[::ffff:127.0.0.1]:4222/', /::ffff:7f00:1, a loopback address/],
    ['http://[fd00:ec2::254]/', /a unique-local address/],
  ])('given the literal inside address %s, when posted, then it is refused before any connection', async (url, why) => {
    await expect(post(url, '')).rejects.toThrow(why);
  });

  it('given a loopback port the operator allowed, when posting to another loopback port, then it is refused', async () => {
    await expect(post(`http://127.0.0.1:${port}/`, '127.0.0.1:1')).rejects.toThrow(/127\.0\.0\.1, a loopback address/);
  });

  it('given a receiver that redirects to another local port, when posted, then the 302 is the answer and the other port is never hit', async () => {
    const redirecting: Server = createServer((_req, res) => res.writeHead(302, { location: receiver.url }).end());
    await new Promise<void>((done) => redirecting.listen(0, '127.0.0.1', done));
    const redirectPort = (redirecting.address() as AddressInfo).port;
    try {
      // Both ports allowed: only the rule "never follow" keeps the body from the second one.
      await expect(post(`http://127.0.0.1:${redirectPort}/hook`, '127.0.0.1')).resolves.toBe(302);
      expect(receiver.requests).toEqual([]);
    } finally {
      redirecting.closeAllConnections();
      await new Promise((done) => redirecting.close(done));
    }
  });
});
