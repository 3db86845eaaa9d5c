import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface GitHttpRequest {
  method: string;
  path: string;
  /** The Authorization header as received, or undefined; the spec asserts what the runner sent. */
  authorization: string | undefined;
  status: number;
}

export interface GitHttpServer {
  /** `http://127.0.0.1:<port>`: a repository `name.git` under the root is at `${base}/name.git`. */
  readonly base: string;
  readonly port: number;
  /** The bare repositories' directory (GIT_PROJECT_ROOT). */
  readonly root: string;
  readonly requests: GitHttpRequest[];
  /** A bare repository with one commit on `main` (receive-pack enabled); answers its URL. */
  createRepository(name: string): string;
  /** Runs git in a bare repository of the root, e.g. to read a branch the runner pushed. */
  git(name: string, ...args: string[]): string;
  close(): Promise<void>;
}

export interface GitHttpAccount {
  username: string;
  password: string;
}

const GIT = { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', LC_ALL: 'C' };

/**
 * An authenticated git server on loopback, as a hosting service is for the runner: `git
 * http-backend` (CGI) behind basic auth. Every request without one of the accounts is answered
 * 401 with a challenge, so git's own behaviour on a missing or wrong token is what a test sees.
 */
export async function startGitHttpServer(accounts: readonly GitHttpAccount[]): Promise<GitHttpServer> {
  const root = mkdtempSync(join(tmpdir(), 'gt-git-http-'));
  const requests: GitHttpRequest[] = [];
  const authorised = (header: string | undefined): string | undefined => {
    const basic = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? '');
    if (!basic) return undefined;
    const text = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = text.indexOf(':');
    const user = text.slice(0, colon);
    const password = text.slice(colon + 1);
    return accounts.some((a) => colon > 0 && a.username === user && a.password === password) ? user : undefined;
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const record = (status: number) =>
      requests.push({ method: req.method ?? '', path: url.pathname, authorization: req.headers.authorization, status });
    const user = authorised(req.headers.authorization);
    if (!user) {
      record(401);
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="gastown test"' });
      res.end();
      req.resume();
      return;
    }
    const cgi = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        ...GIT,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        REQUEST_METHOD: req.method ?? 'GET',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.replace(/^\?/, ''),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_USER: user,
        REMOTE_ADDR: '127.0.0.1',
        // git decompresses the body itself when the client gzipped it.
        HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]);
        else res.setHeader(name, value);
      }
      record(status);
      res.writeHead(status);
      res.write(head.subarray(end + 4));
    });
    cgi.on('close', () => {
      if (!headersDone) {
        record(500);
        res.writeHead(500);
      }
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  const git = (name: string, ...args: string[]) =>
    execFileSync('git', args, { cwd: join(root, name), env: { ...process.env, ...GIT }, encoding: 'utf8' }).trim();

  return {
    base,
    port,
    root,
    requests,
    createRepository(name) {
      const bare = join(root, name);
      const work = mkdtempSync(join(tmpdir(), 'gt-git-http-work-'));
      const run = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: { ...process.env, ...GIT }, stdio: 'ignore' });
      run(root, 'init', '-q', '--bare', '-b', 'main', bare);
      run(bare, 'config', 'http.receivepack', 'true');
      run(work, 'init', '-q', '-b', 'main');
      run(work, '-c', 'user.name=Test', '-c', 'user.email=test@example.com', 'commit', '-q', '--allow-empty', '-m', 'initial');
      run(work, 'push', '-q', bare, 'main');
      rmSync(work, { recursive: true, force: true });
      return `${base}/${name}`;
    },
    git,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          rmSync(root, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
