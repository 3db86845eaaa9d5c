import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayClient } from '@gastown/gateway-client';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { readMayorConfig } from './mayor.config';
import { createMayorServer } from './mayor.server';

// stdout belongs to the MCP protocol: every human line goes to stderr.
const log = (line: string) => process.stderr.write(`gt-mayor: ${line}\n`);

async function main(): Promise<number | null> {
  const read = readMayorConfig(process.env);
  if (!read.ok) {
    for (const problem of read.problems) log(problem);
    return 2;
  }
  const { gatewayUrl, token } = read.config;
  const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
  const server = createMayorServer({ client: new GatewayClient({ url: gatewayUrl, token }), gatewayUrl, log }, version);
  await server.connect(new StdioServerTransport());
  // The client closes stdin to stop us; the gateway client's idle sockets must not keep the process alive.
  const stop = () => void server.close().finally(() => process.exit(0));
  process.stdin.once('end', stop);
  process.once('SIGTERM', stop);
  log(`ready, gateway ${gatewayUrl}`);
  return null;
}

main().then(
  (code) => {
    if (code !== null) process.exit(code);
  },
  (error: unknown) => {
    log(`failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
