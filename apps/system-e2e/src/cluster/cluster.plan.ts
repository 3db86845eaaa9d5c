import { prng } from '../chaos/chaos.schedule';

/**
 * What one cluster run does, as a pure function of its seed: the convoy it slings over two rigs
 * and the moments at which one NATS node and one replica of each service are SIGKILLed and
 * started again. A failing run's seed replays the same plan.
 */

export const CLUSTER_SERVICES = ['convoy', 'gateway', 'dispatcher', 'git-runner'] as const;
export type ClusterService = (typeof CLUSTER_SERVICES)[number];

export interface ClusterTask {
  readonly title: string;
  /** Rig a or rig b: neighbours alternate, so most dependencies cross from one rig to the other. */
  readonly rig: 'a' | 'b';
  readonly dependsOn: readonly number[];
}

export type ClusterFault =
  | { readonly kind: 'kill-nats-node'; readonly atMs: number; readonly node: number; readonly downMs: number }
  | { readonly kind: 'kill-service'; readonly atMs: number; readonly service: ClusterService; readonly replica: 1 | 2; readonly downMs: number };

export interface ClusterPlan {
  readonly seed: number;
  readonly tasks: readonly ClusterTask[];
  /** Ordered by `atMs`, from the moment the convoy is slung; each runs on its own, so they may overlap. */
  readonly faults: readonly ClusterFault[];
}

export function clusterPlan(seed: number, beads: number, faultWindowMs: number): ClusterPlan {
  const random = prng(seed);
  const between = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const tasks = Array.from({ length: beads }, (_, i): ClusterTask => {
    // Two chains, one per rig, each step also waiting for the other rig's last bead every third step.
    const dependsOn = [...(i >= 2 ? [i - 2] : []), ...(i % 3 === 0 && i >= 1 ? [i - 1] : [])];
    return { title: `bead ${i}`, rig: i % 2 === 0 ? 'a' : 'b', dependsOn };
  });
  const faults: ClusterFault[] = [
    { kind: 'kill-nats-node', atMs: between(2_000, faultWindowMs), node: between(0, 2), downMs: between(1_000, 3_000) },
    ...CLUSTER_SERVICES.map(
      (service): ClusterFault => ({ kind: 'kill-service', atMs: between(0, faultWindowMs), service, replica: between(1, 2) as 1 | 2, downMs: between(0, 2_000) }),
    ),
  ];
  return { seed, tasks, faults: faults.sort((a, b) => a.atMs - b.atMs) };
}

export function describeClusterFault(fault: ClusterFault): string {
  const at = `t+${(fault.atMs / 1000).toFixed(1)}s`;
  return fault.kind === 'kill-nats-node'
    ? `${at} SIGKILL nats-server node ${fault.node + 1}, restart on its store after ${fault.downMs} ms`
    : `${at} SIGKILL ${fault.service}-${fault.replica}, restart after ${fault.downMs} ms`;
}
