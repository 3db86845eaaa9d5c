/**
 * What one chaos run does, as a pure function of its seed: the convoys it slings and the faults
 * it injects at which moments. Nothing here touches a process, so a seed printed by a failing run
 * replays the same plan anywhere (the timing of the system under test is what still varies).
 */

/** The service replicas a run starts (SystemHarness names them `<service>-<replica>`). */
export const CHAOS_SERVICES = ['convoy', 'gateway', 'dispatcher', 'git-runner'] as const;
export type ChaosService = (typeof CHAOS_SERVICES)[number];

export type MergeMode = 'REVIEW_THEN_LAND' | 'REVIEW_AND_MERGE';

export type ChaosFault =
  /** SIGKILL one service process, start it again `downMs` later. */
  | { readonly kind: 'kill-service'; readonly atMs: number; readonly service: ChaosService; readonly downMs: number }
  /** SIGKILL the run's own nats-server, start it again on the same port and store `downMs` later. */
  | { readonly kind: 'kill-nats'; readonly atMs: number; readonly downMs: number }
  /** `pg_ctl stop -m immediate` on the run's own PostgreSQL (a crash: no checkpoint), start it `downMs` later. */
  | { readonly kind: 'stop-postgres'; readonly atMs: number; readonly downMs: number };

export interface ChaosTask {
  readonly title: string;
  readonly body?: string;
  readonly dependsOn?: readonly number[];
}

export interface ChaosConvoy {
  readonly name: string;
  readonly mergeMode: MergeMode;
  readonly tasks: readonly ChaosTask[];
  /** closeConvoy is sent `closeDelayMs` after the last bead is submitted, racing its merge. */
  readonly closeRacesLastMerge: boolean;
}

export interface ChaosPlan {
  readonly seed: number;
  readonly convoys: readonly ChaosConvoy[];
  /** Ordered by `atMs`, measured from the moment the convoys are slung. */
  readonly faults: readonly ChaosFault[];
  readonly closeDelayMs: number;
}

/** Faults fall inside this window: long enough to hit dispatch, agent runs, merges and landings of the small convoys. */
export const FAULT_WINDOW_MS = 30_000;

/** mulberry32: a tiny, well-mixed 32-bit PRNG; a seed is all it needs to repeat itself. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function chaosPlan(seed: number): ChaosPlan {
  const random = prng(seed);
  const between = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[between(0, items.length - 1)] as T;
  const mergeMode = () => pick<MergeMode>(['REVIEW_THEN_LAND', 'REVIEW_AND_MERGE']);

  const convoys: ChaosConvoy[] = [
    {
      name: 'diamond',
      mergeMode: mergeMode(),
      tasks: [{ title: 'base' }, { title: 'left', dependsOn: [0] }, { title: 'right', dependsOn: [0] }, { title: 'top', dependsOn: [1, 2] }],
      closeRacesLastMerge: false,
    },
    {
      // Two beads writing one file with different text: whichever merges second conflicts and is reworked.
      name: 'conflict',
      mergeMode: mergeMode(),
      tasks: [
        { title: 'base' },
        { title: 'ours', body: 'demo:edit shared.txt ours', dependsOn: [0] },
        { title: 'theirs', body: 'demo:edit shared.txt theirs', dependsOn: [0] },
      ],
      closeRacesLastMerge: false,
    },
    {
      name: 'closed',
      mergeMode: mergeMode(),
      tasks: [{ title: 'first' }, { title: 'last', dependsOn: [0] }],
      closeRacesLastMerge: true,
    },
  ];

  const faults: ChaosFault[] = Array.from({ length: between(2, 4) }, (): ChaosFault => {
    const atMs = between(0, FAULT_WINDOW_MS);
    switch (pick(['service', 'service', 'nats', 'postgres'] as const)) {
      case 'service':
        return { kind: 'kill-service', atMs, service: pick(CHAOS_SERVICES), downMs: between(0, 2_000) };
      case 'nats':
        return { kind: 'kill-nats', atMs, downMs: between(0, 3_000) };
      case 'postgres':
        return { kind: 'stop-postgres', atMs, downMs: between(0, 3_000) };
    }
  }).sort((a, b) => a.atMs - b.atMs);

  return { seed, convoys, faults, closeDelayMs: between(0, 150) };
}

/** One line per fault, for the run's log and a failing seed's report. */
export function describeFault(fault: ChaosFault): string {
  const at = `t+${(fault.atMs / 1000).toFixed(1)}s`;
  switch (fault.kind) {
    case 'kill-service':
      return `${at} SIGKILL ${fault.service}-1, restart after ${fault.downMs} ms`;
    case 'kill-nats':
      return `${at} SIGKILL nats-server, restart on its store after ${fault.downMs} ms`;
    case 'stop-postgres':
      return `${at} PostgreSQL stop -m immediate, start after ${fault.downMs} ms`;
  }
}
