const PAIRS_SHOWN = 20;

/**
 * Names a cycle by index and title: `tasks 1 → 3 → 1 form a cycle: "A" depends on "C", "C" depends on "A"`.
 * `cycle` is a path whose first and last entries are the same task; `quote` shows a title.
 * The convoy service refuses plans with this sentence and the tools predict it with the same one.
 */
export function describeCycle(
  cycle: readonly number[],
  titleOf: (index: number) => string,
  quote: (title: string) => string,
  verb = 'form',
): string {
  const hops = cycle.length - 1;
  const path = hops > PAIRS_SHOWN ? `${cycle.slice(0, PAIRS_SHOWN).join(' → ')} → … → ${cycle[0]}` : cycle.join(' → ');
  const pairs = cycle
    .slice(0, Math.min(hops, PAIRS_SHOWN))
    .map((from, i) => `${quote(titleOf(from))} depends on ${quote(titleOf(cycle[i + 1]))}`);
  if (hops > PAIRS_SHOWN) pairs.push(`and ${hops - PAIRS_SHOWN} more`);
  return `tasks ${path} ${verb} a cycle: ${pairs.join(', ')}`;
}

/** Several tasks with no order between them usually touch the same code and collide at merge time. */
export function isFlatBatch(taskCount: number, edgeCount: number, parallel: boolean): boolean {
  return !parallel && taskCount > 1 && edgeCount === 0;
}

/** Why a flat batch is refused; `field` is how the reader's plan spells the dependency list. */
export function describeFlatBatch(taskCount: number, field: string): string {
  return (
    `${taskCount} tasks and no ${field} between them: flat batches of coupled work cause merge conflicts; ` +
    `add ${field} to order the tasks, or set parallel: true if they are truly independent`
  );
}
