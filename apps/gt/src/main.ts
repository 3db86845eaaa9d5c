import { contextFromEnv, UsageError } from './cli.context';
import { createTown } from './town/town.command';

const USAGE = `gt — drive Gastown from the command line

  gt town create <name> [--json]   create a town and print its id and token

Environment: NATS_URL (nats://127.0.0.1:4222), GT_NAMESPACE (gt), GATEWAY_URL (http://127.0.0.1:4000/graphql)
Exit codes: 0 done, 1 refused or failed, 2 usage error`;

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const args = argv.filter((a) => a !== '--json');
  const ctx = contextFromEnv(process.env, json);
  try {
    const [group, verb, ...rest] = args;
    if (group === 'town' && verb === 'create') {
      await createTown(ctx, rest);
      return 0;
    }
    if (!group || group === 'help' || group === '--help') {
      ctx.out(USAGE);
      return group ? 0 : 2;
    }
    throw new UsageError(`unknown command "${args.join(' ')}"\n\n${USAGE}`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (json) ctx.err(JSON.stringify({ error: message }));
    else ctx.err(`gt: ${message}`);
    if (error instanceof UsageError) return 2;
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
