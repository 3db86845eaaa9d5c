import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayHarness } from '../gateway.fixtures';

const INDEX = '<!doctype html><title>Gastown</title><gt-root></gt-root>';

describe('the gateway serving the dashboard', () => {
  let harness: GatewayHarness;
  let origin: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gt-dashboard-'));
    writeFileSync(join(dir, 'index.html'), INDEX);
    writeFileSync(join(dir, 'main-AB12CD34.js'), 'console.log("dashboard")');
    harness = await GatewayHarness.start({ dashboardDir: dir });
    origin = new URL(harness.gateway.url).origin;
  });

  afterAll(() => harness?.close());

  it('given a browser opening the root or a deep link, then it gets the app with a policy that allows only this origin', async () => {
    for (const path of ['/', '/convoys/0f5e3c1a', '/rigs/r-1']) {
      const response = await fetch(`${origin}${path}`, { headers: { accept: 'text/html' } });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(INDEX);
      expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(response.headers.get('cache-control')).toBe('no-cache');
    }
  });

  it('given a hashed bundle, then it is served to be cached for good; a missing script is a 404, not the app', async () => {
    const bundle = await fetch(`${origin}/main-AB12CD34.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('cache-control')).toContain('immutable');
    expect(bundle.headers.get('x-content-type-options')).toBe('nosniff');

    const missing = await fetch(`${origin}/gone-00000000.js`, { headers: { accept: 'application/javascript' } });
    expect(missing.status).toBe(404);
  });

  it('given the dashboard is served, then GraphQL on the same origin still answers and still asks for a token', async () => {
    const response = await fetch(`${origin}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: '{ town { id } }' }),
    });
    const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
    expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
