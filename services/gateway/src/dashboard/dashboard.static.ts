import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';

/**
 * The dashboard talks only to this origin's /graphql (HTTP and WebSocket). Angular puts
 * component styles in <style> elements, hence the inline styles; scripts stay 'self' only,
 * and no page may frame it (the sign-in form takes a token).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

/** The parts of Express's request and response used here (Express's types are not a dependency). */
interface PageRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: { readonly accept?: string };
}

interface PageResponse {
  setHeader(name: string, value: string): void;
  sendFile(path: string): void;
}

function secure(res: PageResponse): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
}

/**
 * Paths that are never a page of the dashboard: the API, the probes and the scrape, whatever the
 * client accepts. A probe of /healthz or /metrics must not read 200 with index.html while NATS is down.
 */
const NOT_A_PAGE = /^\/(graphql|livez|readyz|healthz|metrics)(\/|$)/;
/** A file name (a script, a style, an icon): a missing one is a 404, never the app. */
const FILE = /\/[^/]*\.[A-Za-z0-9]+$/;

/**
 * Whether a request is a browser opening a page of the app: a GET that names text/html itself.
 * Browsers do for every navigation; probes, scrapers and curl accept anything (any type) or say
 * nothing, and get a real 404 for a path nothing serves.
 */
export function isPageRequest(req: PageRequest): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (NOT_A_PAGE.test(req.path) || FILE.test(req.path)) return false;
  return (req.headers.accept ?? '').includes('text/html');
}

/** Hashed bundle names never change content, so they are cached for good; index.html never is. */
const HASHED = /-[A-Z0-9]{8}\.(js|css)$/;

/**
 * Serves the built dashboard beside the API, so one origin (and one port to publish) carries
 * both and the browser needs no CORS. Any other page request (isPageRequest) is a client-side
 * route (/convoys/…, /rigs/…) and gets index.html.
 */
export function serveDashboard(app: NestExpressApplication, dir: string): void {
  app.useStaticAssets(dir, {
    index: false,
    setHeaders: (res, path) => {
      secure(res as PageResponse);
      res.setHeader('Cache-Control', HASHED.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  const index = join(dir, 'index.html');
  app.use((req: PageRequest, res: PageResponse, next: () => void) => {
    if (!isPageRequest(req)) {
      next();
      return;
    }
    secure(res);
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
}
