import type { NatsConnection } from '@nats-io/transport-node';
import { cachedStatus, withTimeout, type ConsumerStatus } from '@gastown/bus';

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** One condition of readiness, and why it fails when it does. */
export type CheckOutcome = { readonly ok: true; readonly detail?: string } | { readonly ok: false; readonly reason: string };

export interface ReadinessCheck {
  /** Names the check in the probe's answer, e.g. "nats" or "consumer read-models". */
  readonly name: string;
  check(): CheckOutcome | Promise<CheckOutcome>;
}

export interface CheckReport {
  readonly name: string;
  readonly ok: boolean;
  readonly reason?: string;
  readonly detail?: string;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: readonly CheckReport[];
}

/** A probe answers within its own timeout (Kubernetes: 1 s by default, commonly raised to a few). */
export const CHECK_TIMEOUT_MS = 2_500;

/**
 * Runs every check at once, each bounded by `timeoutMs`: a check that throws or does not answer
 * in time fails with why, and fails only itself. Ready means every check passed, and that there
 * is at least one: a service whose checks are not registered yet is still starting.
 */
export async function evaluateReadiness(checks: readonly ReadinessCheck[], timeoutMs = CHECK_TIMEOUT_MS): Promise<ReadinessReport> {
  if (checks.length === 0) return { ready: false, checks: [{ name: 'startup', ok: false, reason: 'the service is still starting' }] };
  const reports = await Promise.all(
    checks.map(async ({ name, check }): Promise<CheckReport> => {
      try {
        const outcome = await withTimeout(Promise.resolve().then(check), timeoutMs, `the ${name} check`);
        return outcome.ok ? { name, ok: true, ...(outcome.detail ? { detail: outcome.detail } : {}) } : { name, ok: false, reason: outcome.reason };
      } catch (error) {
        return { name, ok: false, reason: errorMessage(error) };
      }
    }),
  );
  return { ready: reports.every((r) => r.ok), checks: reports };
}

/** A consumer is a readiness condition: the server knows it and this process pulls from it. */
export function consumerCheck(name: string, status: () => Promise<ConsumerStatus>): ReadinessCheck {
  return {
    name: `consumer ${name}`,
    check: async () => {
      const s = await status();
      return s.bound ? { ok: true, detail: `${s.pending} pending` } : { ok: false, reason: s.reason };
    },
  };
}

/** How long a ping to the NATS server may take before the connection counts as down. */
const PING_TIMEOUT_MS = 1_500;

/**
 * The connection to NATS: down from the client's disconnect until its reconnect (told at once
 * when a server dies), and a ping must come back, for a connection that hangs without closing.
 */
export function natsCheck(nc: NatsConnection): ReadinessCheck {
  let down: { since: Date } | null = null;
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') down ??= { since: new Date() };
      else if (status.type === 'reconnect') down = null;
    }
  })().catch(() => undefined);
  return {
    name: 'nats',
    check: async () => {
      if (nc.isClosed()) return { ok: false, reason: 'the NATS connection is closed' };
      if (down) return { ok: false, reason: `disconnected from NATS since ${down.since.toISOString()}, reconnecting` };
      try {
        const ms = await withTimeout(nc.rtt(), PING_TIMEOUT_MS, 'NATS');
        return { ok: true, detail: `${nc.getServer()} in ${ms.toFixed(1)} ms` };
      } catch (error) {
        return { ok: false, reason: errorMessage(error) };
      }
    },
  };
}

/**
 * The readiness of one service: the checks its parts registered, until it starts to stop (a
 * drain, a shutdown), from when it is not ready whatever the checks say, so that no new work or
 * traffic is sent to it.
 */
export class Readiness {
  private readonly checks: ReadinessCheck[] = [];
  private stopping: string | null = null;
  private readonly evaluate: () => Promise<ReadinessReport>;

  /**
   * `cacheMs`: probes closer together than this share one evaluation (and one in flight), so a
   * flood of /readyz on the gateway's public port costs NATS and PostgreSQL one round per second.
   */
  constructor({ cacheMs = 1_000 }: { cacheMs?: number } = {}) {
    this.evaluate = cachedStatus(() => evaluateReadiness(this.checks), cacheMs);
  }

  add(...checks: ReadinessCheck[]): void {
    this.checks.push(...checks);
  }

  stop(reason: string): void {
    this.stopping ??= reason;
  }

  report(): Promise<ReadinessReport> {
    if (this.stopping !== null) return Promise.resolve({ ready: false, checks: [{ name: 'lifecycle', ok: false, reason: this.stopping }] });
    return this.evaluate();
  }
}
