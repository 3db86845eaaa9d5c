/**
 * Finds the bead that turns a batch red by checking its prefixes: the batch's first k beads are
 * the tree of the k-th bead's merge commit, so no prefix needs building. What origin holds (no
 * bead) passed; the whole batch failed. Each check halves the beads between the longest prefix
 * known to pass and the shortest known to fail, so a batch of n isolates its culprit in
 * ⌈log2 n⌉ runs after the one that failed. A failure is taken as lasting once a bead brings it
 * in (the rig retries a flaky check on the same tree before it counts as a failure).
 */
export class Bisection {
  private passing = 0;
  private failing: number;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`a batch to bisect holds at least one bead, not ${size}`);
    this.failing = size;
  }

  /** The prefix length to check next, or undefined once the culprit is isolated. */
  next(): number | undefined {
    return this.failing - this.passing > 1 ? Math.floor((this.passing + this.failing) / 2) : undefined;
  }

  record(prefix: number, passed: boolean): void {
    if (prefix <= this.passing || prefix >= this.failing) throw new Error(`prefix ${prefix} lies outside the open range (${this.passing}, ${this.failing})`);
    if (passed) this.passing = prefix;
    else this.failing = prefix;
  }

  /** How many beads from the first are known to pass together (tested as exactly that tree, or none). */
  get passed(): number {
    return this.passing;
  }

  /** The culprit's position in the batch, once isolated. */
  get culprit(): number | undefined {
    return this.next() === undefined ? this.failing - 1 : undefined;
  }
}
