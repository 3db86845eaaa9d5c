import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { GRAPHQL_PATH } from '../graphql/graphql.module';

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
  accepts(type: string): string | false;
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

/** Hashed bundle names never change content, so they are cached for good; index.html never is. */
const HASHED = /-[A-Z0-9]{8}\.(js|css)$/;

/**
 * Serves the built dashboard beside the API, so one origin (and one port to publish) carries
 * both and the browser needs no CORS. Any other GET that asks for HTML is a client-side route
 * (/convoys/…, /rigs/…) and gets index.html.
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
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.path.startsWith(GRAPHQL_PATH) || !req.accepts('html')) {
      next();
      return;
    }
    secure(res);
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
}
