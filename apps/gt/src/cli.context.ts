/** What every gt command needs from the environment, with the same defaults as `npm start`. */
export interface CliContext {
  natsUrl: string;
  namespace: string;
  gatewayUrl: string;
  json: boolean;
  out(line: string): void;
  err(line: string): void;
}

export class UsageError extends Error {}

/** A refusal or failure that a script can tell apart from a usage error by the exit code. */
export class CommandFailedError extends Error {}

export function contextFromEnv(env: NodeJS.ProcessEnv, json: boolean): CliContext {
  const port = env['GATEWAY_PORT'] || '4000';
  return {
    natsUrl: env['NATS_URL'] || 'nats://127.0.0.1:4222',
    namespace: env['GT_NAMESPACE'] || 'gt',
    gatewayUrl: env['GATEWAY_URL'] || `http://127.0.0.1:${port}/graphql`,
    json,
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  };
}
