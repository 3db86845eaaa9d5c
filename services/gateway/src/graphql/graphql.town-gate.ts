/**
 * At most `perTown` heavy operations of one town run at once; up to `queued` more wait their turn,
 * first come first served, and beyond that the town is refused. The event loop is shared: however
 * many workers a town runs, its heavy reads take turns with each other, not with other towns.
 */
export class TownGate {
  private readonly towns = new Map<string, { running: number; waiting: (() => void)[] }>();

  constructor(
    readonly perTown: number,
    readonly queued: number,
  ) {}

  /** Resolves when the town's operation may run; null when the town already has `queued` waiting. */
  enter(town: string): Promise<void> | null {
    const state = this.towns.get(town) ?? { running: 0, waiting: [] };
    this.towns.set(town, state);
    if (state.running < this.perTown) {
      state.running += 1;
      return Promise.resolve();
    }
    if (state.waiting.length >= this.queued) return null;
    return new Promise((admit) => state.waiting.push(admit));
  }

  /** Called once for each admitted operation, when it is done: the next one waiting runs in its place. */
  leave(town: string): void {
    const state = this.towns.get(town);
    if (!state) return;
    const next = state.waiting.shift();
    if (next) return next();
    state.running -= 1;
    if (state.running === 0) this.towns.delete(town);
  }

  /** Running and waiting operations of a town, for tests and refusals. */
  load(town: string): { running: number; waiting: number } {
    const state = this.towns.get(town);
    return { running: state?.running ?? 0, waiting: state?.waiting.length ?? 0 };
  }
}
