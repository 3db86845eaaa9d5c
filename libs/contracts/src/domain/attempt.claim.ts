import { z } from 'zod';

/**
 * The value of a key `agent.<beadId>.<attempt>` in the claims bucket (`names().claimsBucket`): which
 * git-runner runs an attempt. The runner writes it; the gateway reads its heartbeat.
 */
export const AttemptClaim = z.object({
  runnerId: z.string().min(1),
  /**
   * `running`: the holder heartbeats it while the attempt is prepared and the agent runs.
   * `released`: the holder gave the attempt back before its agent started; the next delivery takes it.
   * `finished`: the attempt is over; `report` is what the holder told (or is telling) the convoy service.
   */
  state: z.enum(['running', 'released', 'finished']),
  /** The holder's clock at its last write, in ms since the epoch. */
  aliveAt: z.number().int().nonnegative(),
  /** The holder promises a heartbeat well within this; a running claim older than it has a dead holder. */
  staleAfterMs: z.number().int().nonnegative(),
  /** A convoy command body ({ type, commandId, data }), or null when there was nothing to tell; only its writer reads it. */
  report: z.object({ type: z.string().min(1), commandId: z.string().min(1), data: z.record(z.string(), z.unknown()) }).nullable().optional(),
});
export type AttemptClaim = z.infer<typeof AttemptClaim>;

export function attemptClaimKey(beadId: string, attempt: number): string {
  return `agent.${beadId}.${attempt}`;
}
