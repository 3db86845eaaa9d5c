import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIPv6, type AddressInfo } from 'node:net';
import { register } from 'prom-client';
import type { ReadinessReport } from './readiness';

export interface HealthEndpoints {
  /** Names the process in every answer. */
  readonly service: string;
  /** The readiness report; absent while the service is still being built. */
  readiness(): Promise<ReadinessReport>;
  /**
   * Whether /metrics is served here. The health listener serves it; the gateway's public port
   * answers /metrics with a 404 naming the health listener, so metrics never leave by the way in.
   */
  readonly metrics: boolean;
  /**
   * A listener anyone may reach (the gateway's API port): /readyz names each check and whether it
   * passes, but not the details or reasons, which name servers, consumers and errors inside.
   */
  readonly public?: boolean;
}

const STARTED = Date.now();

function send(res: ServerResponse, status: number, body: unknown, head: boolean): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(head ? undefined : text);
}

/** The paths a probe or a scraper asks for; nothing else answers them (a dashboard's fallback page never does). */
export const HEALTH_PATHS: readonly string[] = ['/livez', '/readyz', '/metrics'];

/**
 * Answers /livez, /readyz and /metrics, and returns true; any other request is left to the caller
 * (false). Live means the event loop answered this request. Ready is the report's verdict: 200 or
 * 503, with each check named and why it fails.
 */
export function answerHealth(req: IncomingMessage, res: ServerResponse, endpoints: HealthEndpoints): boolean {
  const path = (req.url ?? '/').split('?')[0];
  if (!HEALTH_PATHS.includes(path)) return false;
  const head = req.method === 'HEAD';
  if (req.method !== 'GET' && !head) {
    res.setHeader('allow', 'GET, HEAD');
    send(res, 405, { error: `${path} answers GET and HEAD only` }, false);
    return true;
  }
  const { service } = endpoints;
  if (path === '/livez') {
    send(res, 200, { status: 'live', service, uptimeSeconds: Math.round((Date.now() - STARTED) / 1000) }, head);
  } else if (path === '/readyz') {
    endpoints.readiness().then(
      (report) => {
        const checks = endpoints.public ? report.checks.map(({ name, ok }) => ({ name, ok })) : report.checks;
        send(res, report.ready ? 200 : 503, { status: report.ready ? 'ready' : 'not ready', service, checks }, head);
      },
      (error: unknown) => send(res, 503, { status: 'not ready', service, checks: [{ name: 'readiness', ok: false, ...(endpoints.public ? {} : { reason: String(error) }) }] }, head),
    );
  } else if (!endpoints.metrics) {
    send(res, 404, { error: `not here: the ${service} serves /metrics on its health listener (${healthPortVariable(service)})` }, head);
  } else {
    register.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': register.contentType, 'cache-control': 'no-store' });
        res.end(head ? undefined : text);
      },
      (error: unknown) => send(res, 500, { error: `metrics could not be collected: ${String(error)}` }, false),
    );
  }
  return true;
}

export interface HealthServer {
  /** e.g. http://127.0.0.1:9461 */
  readonly url: string;
  /** Hands over the service's readiness once it is built; until then /readyz answers 503 "starting". */
  attach(readiness: () => Promise<ReadinessReport>): void;
  close(): Promise<void>;
}

export interface HealthListener {
  readonly host: string;
  /** 0 asks the system for a free port (tests); the settings turn 0 into "no listener" before this. */
  readonly port: number;
}

/**
 * The health listener of a service: /livez, /readyz and /metrics on their own address and port
 * (node:http, no framework), up before the service connects to anything, so a process that hangs
 * while starting is seen live but not ready.
 */
export async function startHealthServer(service: string, listener: HealthListener): Promise<HealthServer> {
  let readiness: () => Promise<ReadinessReport> = async () => ({
    ready: false,
    checks: [{ name: 'startup', ok: false, reason: 'the service is still starting' }],
  });
  const endpoints: HealthEndpoints = { service, metrics: true, readiness: () => readiness() };
  const server: Server = createServer((req, res) => {
    if (!answerHealth(req, res, endpoints)) send(res, 404, { error: 'not found: this listener serves /livez, /readyz and /metrics' }, req.method === 'HEAD');
  });
  // Probes are short requests; nothing should keep a socket open for long.
  server.keepAliveTimeout = 5_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`the health listener cannot use ${listener.host}:${listener.port}: the port is in use (set ${healthPortVariable(service)}, or 0 to turn it off)`)
          : error,
      ),
    );
    server.listen(listener.port, listener.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const shown = isIPv6(listener.host) ? `[${listener.host}]` : listener.host;
  return {
    url: `http://${shown}:${port}`,
    attach: (report) => {
      readiness = report;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** CONVOY_HEALTH_PORT, GIT_RUNNER_HEALTH_PORT, …: a service's own variables start with its name. */
export function healthPortVariable(service: string): string {
  return `${service.toUpperCase().replace(/-/g, '_')}_HEALTH_PORT`;
}
