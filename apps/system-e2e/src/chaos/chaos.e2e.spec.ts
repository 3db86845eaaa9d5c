import { formatOutcome } from './chaos.main';
import { runChaosSeed } from './chaos.run';

/**
 * The seeded chaos suite in CI: a few fixed seeds, each a full run (own nats-server and
 * PostgreSQL, the whole system, three convoys, SIGKILLs and crash restarts at seeded moments,
 * closeConvoy racing a last merge) checked against every invariant. CHAOS_SEEDS="4 5 6" runs
 * other seeds; `npm run chaos -- --seeds N` explores many more outside jest.
 */
const SEEDS = (process.env['CHAOS_SEEDS'] ?? '1 2').split(/[\s,]+/).filter(Boolean).map(Number);
/** A seed takes 1–2 minutes on two cores; the settle bound (3 minutes) is what a stuck convoy costs on top. */
const PER_SEED_MS = 420_000;

describe('the seeded chaos suite', () => {
  it.each(SEEDS)('given seed %i, when its faults strike the running convoys, then every invariant holds', async (seed) => {
    const outcome = await runChaosSeed(seed);
    process.stdout.write(`${formatOutcome(outcome)}\n`);
    // The whole report (faults, what happened, each violation, the replay command) is the failure message.
    expect(outcome.violations.length === 0 ? 'no violations' : formatOutcome(outcome)).toBe('no violations');
  }, PER_SEED_MS);
});
