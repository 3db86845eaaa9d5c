import { parseEgressAllowList } from '@gastown/contracts';
import { webhookEgressProblem, type HostResolver } from './webhook.egress';

const NOT_ALLOWED = 'which the operator has not allowed (GASTOWN_EGRESS_ALLOW)';
/** A resolver that must not be asked: literal addresses are judged as written. */
const noDns: HostResolver = (host) => Promise.reject(new Error(`resolved ${host}`));
const dns =
  (answers: Record<string, string[]>): HostResolver =>
  async (host) => {
    const found = answers[host];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return found;
  };

describe('webhook egress at addWebhook', () => {
  it.each([
    ['http://169.254.169.254/latest/meta-data', `url: 169.254.169.254 resolves to 169.254.169.254, a link-local address, ${NOT_ALLOWED}`],
    ['http://127.1:4222/', `url: 127.0.0.1 resolves to 127.0.0.1, a loopback address, ${NOT_ALLOWED}`],
    ['http://[::ffff:169.254.169.254]/', `url: ::ffff:a9fe:a9fe resolves to ::ffff:a9fe:a9fe, a link-local address, ${NOT_ALLOWED}`],
    ['https://0x7f.1/hook', `url: 127.0.0.1 resolves to 127.0.0.1, a loopback address, ${NOT_ALLOWED}`],
    ['http://2130706433/hook', `url: 127.0.0.1 resolves to 127.0.0.1, a loopback address, ${NOT_ALLOWED}`],
    ['http://[::1]:8080/hook', `url: ::1 resolves to ::1, a loopback address, ${NOT_ALLOWED}`],
    ['http://10.0.0.7/hook', `url: 10.0.0.7 resolves to 10.0.0.7, a private address, ${NOT_ALLOWED}`],
    ['http://168.63.129.16/hook', `url: 168.63.129.16 resolves to 168.63.129.16, a cloud metadata address, ${NOT_ALLOWED}`],
  ])('given the literal inside address %s, when checked, then it is refused naming the address and its kind, without DNS', async (url, message) => {
    expect(await webhookEgressProblem(url, { allow: [], resolve: noDns })).toBe(message);
  });

  it('given a public literal address, when checked, then it is allowed', async () => {
    expect(await webhookEgressProblem('https://93.184.215.14/hook', { allow: [], resolve: noDns })).toBeNull();
  });

  it('given a name that resolves to a private address among public ones, when checked, then the whole name is refused', async () => {
    const resolve = dns({ 'hooks.example.com': ['93.184.215.14', '10.1.2.3'] });
    expect(await webhookEgressProblem('https://hooks.example.com/x?token=t0k3n', { allow: [], resolve })).toBe(
      `url: hooks.example.com resolves to 10.1.2.3, a private address, ${NOT_ALLOWED}`,
    );
  });

  it('given a name that resolves to public addresses only, when checked, then it is allowed', async () => {
    expect(await webhookEgressProblem('https://hooks.example.com/x', { allow: [], resolve: dns({ 'hooks.example.com': ['93.184.215.14', '2606:2800:21f:cb07::1'] }) })).toBeNull();
  });

  it("given the operator's allow-list, when a listed address and port is checked, then it is allowed, and another port of it is not", async () => {
    const allow = parseEgressAllowList('127.0.0.1:8080, hooks.internal:443');
    expect(await webhookEgressProblem('http://127.0.0.1:8080/hook', { allow, resolve: noDns })).toBeNull();
    expect(await webhookEgressProblem('http://127.0.0.1:8081/hook', { allow, resolve: noDns })).toMatch(/^url: 127\.0\.0\.1 resolves to 127\.0\.0\.1, a loopback address/);
    expect(await webhookEgressProblem('https://hooks.internal/hook', { allow, resolve: dns({ 'hooks.internal': ['10.0.0.9'] }) })).toBeNull();
  });

  it('given a name that does not resolve, when checked, then it is left to delivery, which resolves it again', async () => {
    expect(await webhookEgressProblem('https://nowhere.example/hook', { allow: [], resolve: dns({}) })).toBeNull();
  });

  it('given a resolver slower than the deadline, when checked, then the answer comes at the deadline and it is left to delivery', async () => {
    const never: HostResolver = () => new Promise(() => undefined);
    const started = performance.now();
    expect(await webhookEgressProblem('https://slow.example/hook', { allow: [], resolve: never, deadlineMs: 20 })).toBeNull();
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it.each(['ftp://127.0.0.1/x', 'not a url', '127.0.0.1/hook'])('given %j, which is not an http(s) URL, when checked, then the town decider is left to name its form', async (url) => {
    expect(await webhookEgressProblem(url, { allow: [], resolve: noDns })).toBeNull();
  });
});
