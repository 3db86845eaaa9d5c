import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  /** The body exactly as it arrived, for signature checks. */
  readonly rawBody: string;
  readonly at: number;
}

/** A webhook receiver under the test's control. */
export interface HttpReceiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Answers the next requests with these statuses in turn; the last one repeats. */
  answer(...statuses: number[]): void;
  close(): Promise<void>;
}

/** A node:http server on a free loopback port that records every request and answers as told (default 200). */
export async function startHttpReceiver(...statuses: number[]): Promise<HttpReceiver> {
  let plan = statuses.length > 0 ? statuses : [200];
  let answered = 0;
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', headers: req.headers, rawBody: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      res.statusCode = plan[Math.min(answered++, plan.length - 1)];
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/gastown`,
    requests,
    answer: (...next) => {
      plan = next.length > 0 ? next : [200];
      answered = 0;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
