import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inboxPrefixOf, type NatsCredentials } from '@gastown/bus';
import { GatewayClient } from '@gastown/gateway-client';
import { UsageError } from './cli.errors';

/** What every gt command needs from the environment, with the same defaults as `npm start`. */
export interface CliContext {
  readonly natsUrl: string;
  /** The operator's NATS user (NATS_USER/NATS_PASSWORD or NATS_TOKEN, or the one npm start generated). */
  readonly natsCredentials?: NatsCredentials;
  readonly namespace: string;
  readonly gatewayUrl: string;
  readonly json: boolean;
  /** stdout is a terminal: live redraws and colour are allowed. */
  readonly tty: boolean;
  readonly color: boolean;
  readonly columns: number;
  out(line: string): void;
  err(line: string): void;
  /** Raw stdout, for redrawing a live view in place. */
  write(text: string): void;
  /** A client authenticated with GT_TOKEN; a missing token is a usage error that names the variable. */
  client(): GatewayClient;
  readStdin(): Promise<string>;
}

/**
 * Where `gt town create` reaches NATS: NATS_URL with NATS_USER/NATS_PASSWORD or NATS_TOKEN when
 * set; otherwise the nats-server `npm start` runs, whose address and operator user it wrote to
 * .data/nats/operator.json (readable by its owner only).
 */
function natsOf(env: NodeJS.ProcessEnv): { url: string; namespace?: string; credentials?: NatsCredentials } {
  const namespace = env['GT_NAMESPACE'] || 'gt';
  const inboxPrefix = inboxPrefixOf('operator', namespace);
  if (env['NATS_URL']) {
    if (env['NATS_TOKEN']) return { url: env['NATS_URL'], credentials: { token: env['NATS_TOKEN'], inboxPrefix } };
    if (env['NATS_USER']) return { url: env['NATS_URL'], credentials: { user: env['NATS_USER'], password: env['NATS_PASSWORD'] ?? '', inboxPrefix } };
    return { url: env['NATS_URL'] };
  }
  const file = join(resolve(env['GASTOWN_DATA_DIR'] || '.data'), 'nats', 'operator.json');
  if (!existsSync(file)) return { url: 'nats://127.0.0.1:4222' };
  const started = JSON.parse(readFileSync(file, 'utf8')) as { url: string; user: string; password: string; namespace: string };
  return {
    url: started.url,
    namespace: started.namespace,
    credentials: { user: started.user, password: started.password, inboxPrefix: inboxPrefixOf('operator', started.namespace) },
  };
}

export function contextFromEnv(env: NodeJS.ProcessEnv, json: boolean): CliContext {
  const port = env['GATEWAY_PORT'] || '4000';
  const gatewayUrl = env['GATEWAY_URL'] || `http://127.0.0.1:${port}/graphql`;
  const tty = process.stdout.isTTY === true;
  let client: GatewayClient | undefined;
  const nats = natsOf(env);
  return {
    natsUrl: nats.url,
    natsCredentials: nats.credentials,
    namespace: env['GT_NAMESPACE'] || nats.namespace || 'gt',
    gatewayUrl,
    json,
    tty,
    color: tty && !env['NO_COLOR'],
    columns: process.stdout.columns || 80,
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    write: (text) => process.stdout.write(text),
    client: () => {
      const token = env['GT_TOKEN']?.trim();
      if (!token) {
        throw new UsageError('GT_TOKEN is not set: export the town token that `gt town create` printed (GT_TOKEN=gt_…)', {
          variable: 'GT_TOKEN',
        });
      }
      client ??= new GatewayClient({ url: gatewayUrl, token });
      return client;
    },
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}
