import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { counter } from '@gastown/bus';
import { answerHealth, startHealthServer, type HealthServer } from './health.server';
import { Readiness } from './readiness';

describe('health listener', () => {
  let server: HealthServer;

  beforeEach(async () => {
    server = await startHealthServer('convoy', { host: '127.0.0.1', port: 0 });
  });
  afterEach(() => server.close());

  const get = async (path: string, method = 'GET') => {
    const response = await fetch(`${server.url}${path}`, { method });
    const text = await response.text();
    return { status: response.status, type: response.headers.get('content-type'), text, json: () => JSON.parse(text) };
  };

  it('given a service still starting, when probed, then it is live but not ready', async () => {
    expect((await get('/livez')).json()).toMatchObject({ status: 'live', service: 'convoy' });
    const ready = await get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.json()).toEqual({ status: 'not ready', service: 'convoy', checks: [{ name: 'startup', ok: false, reason: 'the service is still starting' }] });
  });

  it('given its readiness attached, when probed, then 200 while every check passes and 503 naming the failing one', async () => {
    const readiness = new Readiness({ cacheMs: 0 });
    let natsUp = true;
    readiness.add({ name: 'nats', check: () => (natsUp ? { ok: true } : { ok: false, reason: 'disconnected from NATS' }) });
    server.attach(() => readiness.report());
    expect((await get('/readyz')).status).toBe(200);
    natsUp = false;
    const down = await get('/readyz');
    expect(down.status).toBe(503);
    expect(down.json().checks).toEqual([{ name: 'nats', ok: false, reason: 'disconnected from NATS' }]);
    expect((await get('/readyz', 'HEAD')).status).toBe(503);
  });

  it('given a listener anyone may reach, when probed, then each check is named with its verdict but not what it found', async () => {
    const readiness = new Readiness({ cacheMs: 0 });
    readiness.add({ name: 'postgres', check: () => ({ ok: false, reason: 'connect ECONNREFUSED 10.0.3.7:5432' }) });
    const server = createServer((req, res) => {
      if (!answerHealth(req, res, { service: 'gateway', metrics: false, public: true, readiness: () => readiness.report() })) res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'not ready', service: 'gateway', checks: [{ name: 'postgres', ok: false }] });
      const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(metrics.status).toBe(404);
      expect(await metrics.text()).toMatch(/health listener/);
    } finally {
      server.close();
    }
  });

  it('given series recorded, when scraped, then /metrics answers the Prometheus text format', async () => {
    counter('gastown_webhook_deliveries_total').inc({ outcome: 'delivered' });
    const metrics = await get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metrics.text).toContain('gastown_webhook_deliveries_total{outcome="delivered"} 1');
  });

  it('given any other path or method, when asked, then a real 404 or 405, never a page', async () => {
    expect((await get('/healthz')).status).toBe(404);
    expect((await get('/')).status).toBe(404);
    expect((await get('/readyz', 'POST')).status).toBe(405);
  });

  it('given its port taken, when a second listener starts, then the error names the variable to change', async () => {
    const port = Number(new URL(server.url).port);
    await expect(startHealthServer('git-runner', { host: '127.0.0.1', port })).rejects.toThrow(/port is in use \(set GIT_RUNNER_HEALTH_PORT, or 0 to turn it off\)/);
  });
});
