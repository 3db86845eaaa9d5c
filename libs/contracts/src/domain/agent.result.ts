import { z } from 'zod';
import { redactCredentials } from './secret.redaction';

/** Characters of an agent's output that an event may carry: the runner keeps its last ~4 KB, with room for wide characters. */
export const AGENT_OUTPUT_TAIL_MAX = 8_192;

/** How one agent process ended, as the git-runner saw it. */
export const AgentResult = z.object({
  /** Null when a signal ended it. */
  exitCode: z.number().int().nullable(),
  signal: z.string().min(1).max(32).nullable(),
  timedOut: z.boolean(),
  durationMs: z.number().int().nonnegative(),
  /** The end of its output, secrets redacted. */
  outputTail: z.string().max(AGENT_OUTPUT_TAIL_MAX),
});
export type AgentResult = z.infer<typeof AgentResult>;

/**
 * The result as it may enter the event log. The runner already removed the secrets only it knows
 * (the values handed over by passEnv); URL credentials and town tokens are removed here again, so
 * a report from any runner, however old, cannot write them into a log that is never deleted.
 */
export function redactAgentResult(result: AgentResult): AgentResult {
  const outputTail = redactCredentials(result.outputTail);
  return { ...result, outputTail: outputTail.length > AGENT_OUTPUT_TAIL_MAX ? outputTail.slice(-AGENT_OUTPUT_TAIL_MAX) : outputTail };
}
