/** Why a running agent was stopped from outside. */
export type StopReason = { kind: 'cancel'; reason: string } | { kind: 'shutdown'; why: string };

export interface RunningAttempt {
  readonly convoyId: string;
  /** The stream sequence of the job message that runs it. */
  readonly streamSeq: number;
  readonly signal: AbortSignal;
  /** Set once the attempt was stopped from outside. */
  readonly stopped: StopReason | undefined;
  /** Resolves when the attempt's handler is done with it. */
  readonly done: Promise<void>;
}

/** The handle of the handler that runs the attempt. */
export interface OwnedAttempt extends RunningAttempt {
  /** Unregisters the attempt and wakes whoever waits on `done`. */
  end(): void;
}

class Attempt implements OwnedAttempt {
  private readonly controller = new AbortController();
  stopped: StopReason | undefined;
  private finish: () => void = () => undefined;
  readonly done = new Promise<void>((resolve) => (this.finish = resolve));

  constructor(
    readonly convoyId: string,
    readonly streamSeq: number,
    private readonly unregister: () => void,
  ) {}

  end(): void {
    this.unregister();
    this.finish();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  stop(reason: StopReason): boolean {
    if (this.stopped) return false;
    this.stopped = reason;
    this.controller.abort(reason);
    return true;
  }
}

/**
 * The agent attempts this replica is working on, so that a cancel broadcast or a shutdown can
 * stop them, and a job this replica already runs is recognised when it comes again.
 */
export class RunningAttempts {
  private readonly attempts = new Map<string, Attempt>();

  /** Registers the attempt; undefined when this replica already runs it (the caller waits on `get(key).done`). */
  begin(key: string, convoyId: string, streamSeq: number): OwnedAttempt | undefined {
    if (this.attempts.has(key)) return undefined;
    const attempt = new Attempt(convoyId, streamSeq, () => this.attempts.delete(key));
    this.attempts.set(key, attempt);
    return attempt;
  }

  /** Attempts by state: running, or stopping (stopped from outside, not yet ended). */
  countByState(): { running: number; stopping: number } {
    let stopping = 0;
    for (const attempt of this.attempts.values()) if (attempt.stopped) stopping++;
    return { running: this.attempts.size - stopping, stopping };
  }

  get(key: string): RunningAttempt | undefined {
    return this.attempts.get(key);
  }

  /** Stops every attempt of the convoy; returns how many were running. */
  cancelConvoy(convoyId: string, reason: string): number {
    let stopped = 0;
    for (const attempt of this.attempts.values()) {
      if (attempt.convoyId === convoyId && attempt.stop({ kind: 'cancel', reason })) stopped++;
    }
    return stopped;
  }

  /**
   * Stops every attempt, for a shutdown whose drain period ran out; `why` completes "runner X was
   * stopped …" in the report. Returns how many were running.
   */
  stopAll(why: string): number {
    let stopped = 0;
    for (const attempt of this.attempts.values()) if (attempt.stop({ kind: 'shutdown', why })) stopped++;
    return stopped;
  }

  /** How many attempts are running. */
  get size(): number {
    return this.attempts.size;
  }
}
