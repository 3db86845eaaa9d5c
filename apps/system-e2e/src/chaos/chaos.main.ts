/**
 * The seeded chaos suite from the command line:
 *   npm run chaos -- --seeds N [--from S]   seeds S, S+1, …, S+N-1 (S = 1 by default)
 *   npm run chaos -- --seed S               replays one seed
 * Needs only nats-server and Debian's PostgreSQL binaries (PG_BIN): each seed starts its own
 * nats-server and PostgreSQL cluster and stops them afterwards. Exit 0 when every seed held
 * every invariant, 1 otherwise, 2 on bad usage.
 */
import { runChaosSeed, type ChaosOutcome } from './chaos.run';
import { describeFault } from './chaos.schedule';

const USAGE = 'usage: npm run chaos -- --seeds N [--from S] | --seed S';

export function parseChaosArgs(argv: readonly string[]): { seeds: number[] } | { error: string } {
  const value = (flag: string) => {
    const at = argv.indexOf(flag);
    if (at < 0) return undefined;
    const n = Number(argv[at + 1]);
    return Number.isInteger(n) && n >= 0 ? n : NaN;
  };
  const known = new Set(['--seeds', '--seed', '--from']);
  const unknown = argv.filter((a, i) => a.startsWith('--') && !known.has(a) && i % 2 === 0);
  if (unknown.length) return { error: `unknown option ${unknown.join(' ')}` };
  const [seed, count, from] = [value('--seed'), value('--seeds'), value('--from') ?? 1];
  if ([seed, count, from].some((n) => Number.isNaN(n))) return { error: 'seeds are whole numbers' };
  if (seed !== undefined && count !== undefined) return { error: '--seed replays one seed; --seeds runs several' };
  if (seed !== undefined) return { seeds: [seed] };
  return { seeds: Array.from({ length: count ?? 1 }, (_, i) => (from as number) + i) };
}

export function formatOutcome(outcome: ChaosOutcome): string {
  const head = `seed ${outcome.seed}: ${outcome.violations.length === 0 ? 'PASS' : 'FAIL'} in ${outcome.seconds.toFixed(0)} s`;
  if (outcome.violations.length === 0) return head;
  return [
    head,
    '  faults:',
    ...outcome.plan.faults.map((f) => `    ${describeFault(f)}`),
    '  what happened:',
    ...outcome.notes.map((n) => `    ${n}`),
    '  violations:',
    ...outcome.violations.map((v) => `    ${v}`),
    `  replay: npm run chaos -- --seed ${outcome.seed}`,
  ].join('\n');
}

async function main(): Promise<number> {
  const parsed = parseChaosArgs(process.argv.slice(2));
  if ('error' in parsed) {
    console.error(`${parsed.error}\n${USAGE}`);
    return 2;
  }
  const failed: number[] = [];
  for (const seed of parsed.seeds) {
    const outcome = await runChaosSeed(seed, (line) => console.error(line));
    console.log(formatOutcome(outcome));
    if (outcome.violations.length) failed.push(seed);
  }
  console.log(`chaos: ${parsed.seeds.length - failed.length}/${parsed.seeds.length} seeds held every invariant${failed.length ? `; failing seeds: ${failed.join(' ')}` : ''}`);
  return failed.length ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(`chaos: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
