import { GatewayClient } from '@gastown/gateway-client';
import { UsageError } from './cli.errors';

/** What every gt command needs from the environment, with the same defaults as `npm start`. */
export interface CliContext {
  readonly natsUrl: string;
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

export function contextFromEnv(env: NodeJS.ProcessEnv, json: boolean): CliContext {
  const port = env['GATEWAY_PORT'] || '4000';
  const gatewayUrl = env['GATEWAY_URL'] || `http://127.0.0.1:${port}/graphql`;
  const tty = process.stdout.isTTY === true;
  let client: GatewayClient | undefined;
  return {
    natsUrl: env['NATS_URL'] || 'nats://127.0.0.1:4222',
    namespace: env['GT_NAMESPACE'] || 'gt',
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
