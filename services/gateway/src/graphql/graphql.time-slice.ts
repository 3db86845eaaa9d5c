/**
 * How long one request may run its resolvers before it lets the event loop serve others.
 * graphql-js resolves a whole result in microtasks, which never yield to I/O: without slices one
 * 50,000-object answer holds every other town's request for seconds.
 */
export const EXECUTION_SLICE_MS = 4;

/**
 * One request's turns on the event loop. Resolvers run through `run`: within the slice they run at
 * once; past it, they queue, and the queue is worked through on later turns of the loop (after
 * pending I/O, so other requests are served in between), one slice per turn. A queue rather than a
 * promise per waiting resolver chained to the next turn: re-chaining what did not fit on every
 * turn would cost the square of a large answer.
 */
export class TimeSlicer {
  private sliceStart: number | null = null;
  private waiting: (() => void)[] = [];
  private next = 0;
  private scheduled = false;

  constructor(
    private readonly sliceMs = EXECUTION_SLICE_MS,
    private readonly clock: () => number = () => performance.now(),
    private readonly nextTurn: (work: () => void) => void = (work) => void setImmediate(work),
  ) {}

  run<T>(resolve: () => T): T | Promise<T> {
    const now = this.clock();
    const sliceStart = this.sliceStart ?? this.startSlice(now);
    if (this.next === this.waiting.length && now - sliceStart <= this.sliceMs) return resolve();
    return new Promise<T>((fulfil, reject) => {
      this.waiting.push(() => {
        try {
          fulfil(resolve());
        } catch (error) {
          reject(error);
        }
      });
      this.schedule();
    });
  }

  /**
   * A slice is the request's time within one turn of the loop: while the request waits for the
   * database its slice is not spent, and whatever turn it resumes in starts a new one.
   */
  private startSlice(now: number): number {
    this.sliceStart = now;
    this.nextTurn(() => (this.sliceStart = null));
    return now;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.nextTurn(() => this.turn());
  }

  /**
   * One waiting resolver at a time, each followed by a microtask: what it settles (graphql-js
   * completing the object it belongs to) runs before the clock is read again, so it counts.
   */
  private turn(): void {
    this.scheduled = false;
    this.startSlice(this.clock());
    this.step();
  }

  private readonly step = (): void => {
    if (this.next < this.waiting.length && this.sliceStart !== null && this.clock() - this.sliceStart <= this.sliceMs) {
      const resolve = this.waiting[this.next];
      this.next += 1;
      resolve();
      queueMicrotask(this.step);
    } else if (this.next === this.waiting.length) {
      this.waiting = [];
      this.next = 0;
    } else {
      this.schedule();
    }
  };
}
