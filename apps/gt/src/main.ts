import { COMMANDS, findCommand, usage } from './cli.commands';
import { contextFromEnv } from './cli.context';
import { EXIT, exitCodeOf, formatError, UsageError } from './cli.errors';

async function main(argv: string[]): Promise<number> {
  // Known before parsing, so that even a usage error answers in the form the script asked for.
  const terminator = argv.indexOf('--');
  const json = (terminator < 0 ? argv : argv.slice(0, terminator)).includes('--json');
  const ctx = contextFromEnv(process.env, json);
  try {
    const [first] = argv;
    if (first === undefined) {
      ctx.err(usage(COMMANDS));
      return EXIT.usage;
    }
    if (first === 'help' || first === '--help' || first === '-h') {
      const topic = findCommand(COMMANDS, argv.slice(1));
      ctx.out(topic ? `usage: ${topic.command.usage}\n  ${topic.command.summary}` : usage(COMMANDS));
      return EXIT.ok;
    }
    const found = findCommand(COMMANDS, argv);
    if (!found) {
      const words = argv.filter((a) => !a.startsWith('-')).slice(0, 2).join(' ');
      throw new UsageError(`unknown command "${words}"; commands: ${COMMANDS.map((c) => c.name).join(', ')} (gt help shows them all)`);
    }
    const { command, rest } = found;
    const options = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
    if (options.includes('--help') || options.includes('-h')) {
      ctx.out(`usage: ${command.usage}\n  ${command.summary}`);
      return EXIT.ok;
    }
    return (await command.run(ctx, rest)) ?? EXIT.ok;
  } catch (error) {
    ctx.err(formatError(error, json));
    return exitCodeOf(error);
  }
}

// Exit at once: an idle keep-alive connection to the gateway must not hold a script up.
main(process.argv.slice(2)).then((code) => process.exit(code));
