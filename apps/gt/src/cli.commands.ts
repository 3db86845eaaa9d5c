import { agentsCommand } from './agents/agents.command';
import { beadRetry, beadShow } from './bead/bead.command';
import type { CliCommand } from './cli.command';
import { convoyClose, convoyLand, convoyList, convoyStart, convoyStatusCommand } from './convoy/convoy.command';
import { rigAdd, rigCredentials, rigList } from './rig/rig.command';
import { slingBatchCommand, slingOne } from './sling/sling.command';
import { townCreate } from './town/town.command';
import { webhookAdd, webhookDeliveries, webhookList, webhookRemove } from './webhook/webhook.command';

/** Every command, in the order `gt help` lists them. */
export const COMMANDS: readonly CliCommand[] = [
  townCreate,
  rigAdd,
  rigList,
  rigCredentials,
  slingOne,
  slingBatchCommand,
  convoyList,
  convoyStatusCommand,
  convoyStart,
  convoyClose,
  convoyLand,
  beadShow,
  beadRetry,
  agentsCommand,
  webhookAdd,
  webhookList,
  webhookRemove,
  webhookDeliveries,
];

/** The command named by the first one or two words, and the arguments after them. */
export function findCommand(commands: readonly CliCommand[], argv: readonly string[]): { command: CliCommand; rest: string[] } | null {
  for (const words of [2, 1]) {
    const name = argv.slice(0, words).join(' ');
    const command = commands.find((c) => c.name === name);
    if (command) return { command, rest: argv.slice(words) };
  }
  return null;
}

export function usage(commands: readonly CliCommand[]): string {
  const lines = ['gt — drive Gastown from the command line', '', 'Commands:'];
  for (const c of commands) lines.push(`  ${c.usage}`, `      ${c.summary}`);
  lines.push(
    '',
    'Every command takes --json: one JSON document on stdout; errors on stderr as {"error":{"code","message","details"}}.',
    '`gt <command> --help` shows one command.',
    '',
    'Environment:',
    '  GT_TOKEN       the town token printed by `gt town create` (required by every command but town create)',
    '  GATEWAY_URL    the GraphQL endpoint (default http://127.0.0.1:$GATEWAY_PORT/graphql, GATEWAY_PORT default 4000)',
    '  NATS_URL       for town create, with NATS_USER/NATS_PASSWORD, NATS_TOKEN or NATS_CREDS_FILE (default: the nats-server',
    '                 npm start runs, found in .data/nats/operator.json; else nats://127.0.0.1:4222)',
    '  NATS_TLS_CA_FILE, NATS_TLS_CERT_FILE, NATS_TLS_KEY_FILE',
    '                 for town create on a TLS server: its CA, and a client certificate and key if it asks for one',
    '  GT_NAMESPACE   for town create (default gt)',
    '  NO_COLOR       plain output on a terminal',
    '',
    'Exit codes:',
    '  0  done (with convoy status --watch: the convoy LANDED)',
    '  1  refused or failed (a GraphQL error; with --watch: the convoy FAILED or was CANCELLED)',
    '  2  usage error: unknown command or flag, bad flag value, missing GT_TOKEN, invalid plan file',
    '  3  the gateway is unreachable',
    '  4  UNAUTHENTICATED: the token is wrong',
    '  5  NOT_FOUND: no such convoy, bead or webhook in this town',
    '  6  RATE_LIMITED: the town is over its share of the gateway even after gt waited; retry later',
  );
  return lines.join('\n');
}
