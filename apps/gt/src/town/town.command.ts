import { randomUUID } from 'node:crypto';
import { CommandReply, generateTownToken, hashTownToken, names } from '@gastown/contracts';
import { CommandClient, connectBus } from '@gastown/bus';
import { redactUrl, type NatsConnectionSettings } from '@gastown/service-runtime/nats';
import { parseCommandArgs, type CliCommand } from '../cli.command';
import type { CliContext } from '../cli.context';
import { CommandFailedError, UsageError } from '../cli.errors';

/**
 * `gt town create <name>`: the operator's way in. It speaks to the convoy service over NATS
 * (creating a town needs no town token), then waits until the gateway accepts the new token
 * so the printed token works at once.
 */
export const townCreate: CliCommand = {
  name: 'town create',
  usage: 'gt town create <name> [--json]',
  summary: 'create a town and print its id and token (the only command that needs no GT_TOKEN)',
  async run(ctx, argv) {
    const { positionals } = parseCommandArgs(this, argv, {}, { min: 1, max: Infinity, names: 'the town name' });
    const name = positionals.join(' ').trim();
    if (!name) throw new UsageError(`missing the town name\nusage: ${this.usage}`);
    const { townId, token } = await createTown(ctx, name);
    if (ctx.json) {
      ctx.out(JSON.stringify({ townId, name, token }));
    } else {
      ctx.out(`town "${name}" created: ${townId}`);
      ctx.out(`token (shown once, keep it secret): ${token}`);
      ctx.out('use it as: export GT_TOKEN=<token>  (or the header Authorization: Bearer <token>)');
    }
  },
};

async function createTown(ctx: CliContext, name: string): Promise<{ townId: string; token: string }> {
  const nats = ctx.nats();
  const token = generateTownToken();
  const townId = randomUUID();
  // Only problems reach stderr: stdout carries the answer, which scripts parse with --json.
  const bus = await connectBus({
    servers: nats.servers,
    namespace: nats.namespace,
    name: 'gt-cli',
    logger: { info: () => undefined, warn: ctx.err, error: ctx.err },
    credentials: nats.credentials,
    tls: nats.tls,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
  }).catch((error: unknown) => {
    throw natsUnreachable(nats, error);
  });
  try {
    const reply = await new CommandClient(bus).request<CommandReply>(names(nats.namespace).commands.town, {
      type: 'CreateTown',
      commandId: randomUUID(),
      townId,
      actor: { kind: 'user', id: 'gt-cli' },
      data: { name, tokenHash: hashTownToken(token) },
    });
    if (!reply.ok) throw new CommandFailedError(reply.error.message, reply.error.code, reply.error.details ?? {});
  } finally {
    await bus.close();
  }
  if (!(await gatewayAccepts(ctx.gatewayUrl, token))) {
    ctx.err(`warning: the gateway at ${ctx.gatewayUrl} did not confirm the town yet; the token works once it has caught up`);
  }
  return { townId, token };
}

/** A person waits for it: long enough for a TLS handshake across the world, short of the client's 20 s. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * The client's own words (an untrusted certificate, an authorization violation, a refused
 * connection) with what to check; the URL without any user or password it carries.
 */
function natsUnreachable(nats: NatsConnectionSettings, error: unknown): CommandFailedError {
  const cause = error instanceof Error ? error.message : String(error);
  // A server that requires a client certificate closes the connection without a word, so only the timeout tells.
  const tls = nats.tls !== undefined || nats.servers.includes('tls://');
  const timedOut = error instanceof Error && error.name === 'TimeoutError';
  const silent = tls && timedOut && !nats.tls?.certFile ? '; gt offered no client certificate, and a server that requires one drops the connection without saying so' : '';
  return new CommandFailedError(
    `cannot connect to NATS at ${redactUrl(nats.servers)}: ${cause}${silent} ` +
      '(check NATS_URL, the credentials in NATS_USER/NATS_PASSWORD, NATS_TOKEN or NATS_CREDS_FILE, and for TLS NATS_TLS_CA_FILE, NATS_TLS_CERT_FILE and NATS_TLS_KEY_FILE)',
    'NATS_UNREACHABLE',
  );
}

async function gatewayAccepts(url: string, token: string, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ town { id } }' }),
        signal: AbortSignal.timeout(2_000),
      });
      const body = (await response.json()) as { data?: { town?: { id: string } } };
      if (body.data?.town?.id) return true;
    } catch {
      // The gateway may be down; the town exists regardless, so keep trying until the deadline.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}
