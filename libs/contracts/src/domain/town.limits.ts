/**
 * How much one town may hold. The convoy service refuses a command that would go past a limit;
 * the gateway prices queries by the same limits, so a query's cost can never be estimated
 * below what a town is able to make it return. Both read the same operator settings (named in
 * TOWN_LIMIT_SETTINGS) with these defaults.
 */
export interface TownLimits {
  /** Beads in one convoy. */
  readonly maxTasks: number;
  /** Dependency edges in one convoy (the dependsOn entries of all its beads). */
  readonly maxEdges: number;
  readonly maxRigsPerTown: number;
  readonly maxWebhooksPerTown: number;
}

export const DEFAULT_TOWN_LIMITS: TownLimits = {
  maxTasks: 10_000,
  // Ten blockers per bead of the largest convoy: far above any plan a person or planner writes,
  // while AddDependency, one edge at a time, can no longer grow a convoy without end.
  maxEdges: 100_000,
  // Rigs cannot be removed yet, so the limit leaves a town room for every repository it works on.
  maxRigsPerTown: 100,
  // Each webhook is one more delivery per outcome; a town that needs more wants a fan-out service of its own.
  maxWebhooksPerTown: 10,
};

export const TOWN_LIMIT_SETTINGS: Readonly<Record<keyof TownLimits, string>> = {
  maxTasks: 'CONVOY_MAX_TASKS',
  maxEdges: 'CONVOY_MAX_EDGES',
  maxRigsPerTown: 'GASTOWN_MAX_RIGS_PER_TOWN',
  maxWebhooksPerTown: 'GASTOWN_MAX_WEBHOOKS_PER_TOWN',
};
