import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inboxPrefixOf } from '@gastown/bus';
import { GatewayClient } from '@gastown/gateway-client';
import { ConfigError, loadNatsConnection, type NatsConnectionSettings } from '@gastown/service-runtime/nats';
import { UsageError } from './cli.errors';

/** What every gt command needs from the environment, with the same defaults as `npm start`. */
export interface CliContext {
  /**
   * Where and how `gt town create` reaches NATS, validated as the services validate theirs; a bad
   * setting is a usage error that names the variable. Read only by the command that needs it, so
   * a stale NATS_TLS_CA_FILE does not stop `gt rig list`.
   */
  nats(): NatsConnectionSettings;
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
 * Where `gt town create` reaches NATS: NATS_URL with the operator's credentials (NATS_USER/
 * NATS_PASSWORD, NATS_TOKEN or NATS_CREDS_FILE) and NATS_TLS_* when set, through the services'
 * own validator; without NATS_URL, the nats-server `npm start` runs, whose address and operator
 * user it wrote to .data/nats/operator.json (readable by its owner only).
 */
export function natsOf(env: NodeJS.ProcessEnv): NatsConnectionSettings {
  let settings: NatsConnectionSettings;
  try {
    settings = loadNatsConnection('gt town create', 'operator', env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new UsageError(error.message, { problems: error.problems });
  }
  const file = join(resolve(env['GASTOWN_DATA_DIR'] || '.data'), 'nats', 'operator.json');
  if (env['NATS_URL'] || settings.credentials || !existsSync(file)) return settings;
  const started = JSON.parse(readFileSync(file, 'utf8')) as { url: string; user: string; password: string; namespace: string };
  return {
    ...settings,
    servers: started.url,
    namespace: env['GT_NAMESPACE'] || started.namespace,
    credentials: { user: started.user, password: started.password, inboxPrefix: inboxPrefixOf('operator', started.namespace) },
  };
}

export function contextFromEnv(env: NodeJS.ProcessEnv, json: boolean): CliContext {
  const port = env['GATEWAY_PORT'] || '4000';
  const gatewayUrl = env['GATEWAY_URL'] || `http://127.0.0.1:${port}/graphql`;
  const tty = process.stdout.isTTY === true;
  let client: GatewayClient | undefined;
  return {
    nats: () => natsOf(env),
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
