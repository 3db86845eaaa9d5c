import { DEFAULT_TOWN_LIMITS } from '@gastown/contracts';

export interface RigInfo {
  name: string;
  defaultBranch: string;
}

export interface DecideContext {
  /** When the decision is made; stamped on the events decide folds internally. */
  now: string;
  /** The rigs of the command's town; rigs of other towns are simply absent. */
  rigs: ReadonlyMap<string, RigInfo>;
  maxTasks: number;
  /** Dependency edges one convoy may hold, however they were added. */
  maxEdges: number;
  /** Recorded in ConvoyCreated; later decisions use the convoy's recorded value. */
  maxAttempts: number;
  /** Recorded in ConvoyCreated; later decisions use the convoy's recorded value. */
  maxLandingAttempts: number;
  /** The most a plan's decision (SlingBatch, Sling, AddTasks) may weigh, JSON-encoded. */
  maxPlanBytes: number;
}

export const DEFAULT_LIMITS = {
  maxTasks: DEFAULT_TOWN_LIMITS.maxTasks,
  maxEdges: DEFAULT_TOWN_LIMITS.maxEdges,
  maxAttempts: 3, maxLandingAttempts: 3,
  maxPlanBytes: 8 * 1024 * 1024,
} as const;

export function createDecideContext(
  input: Pick<DecideContext, 'now' | 'rigs'> & Partial<Pick<DecideContext, keyof typeof DEFAULT_LIMITS>>,
): DecideContext {
  return { ...DEFAULT_LIMITS, ...input };
}
