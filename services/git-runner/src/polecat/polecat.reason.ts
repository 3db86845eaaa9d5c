import { redactCredentials, type AgentResult } from '@gastown/contracts';
import type { AgentOutcome } from '../agent/agent.runner';

/** What of the agent's output goes into a reason: enough to see why it failed, not its whole log. */
const TAIL_CHARS = 2_000;

/** The end of the agent's output, bounded, with URL credentials and the values handed over by passEnv removed. */
export function reportableTail(outputTail: string, secrets: readonly string[]): string {
  const redacted = redactCredentials(outputTail, secrets).trim();
  return redacted.length > TAIL_CHARS ? `…${redacted.slice(redacted.length - TAIL_CHARS)}` : redacted;
}

/**
 * Why an attempt failed, for the next attempt's prompt and for people reading the convoy. A
 * sandbox limit comes first: "exit code 137" alone would not tell the town its agent ran out of memory.
 */
export function failureReason(outcome: AgentOutcome, timeoutMs: number, secrets: readonly string[]): string {
  const how = outcome.timedOut
    ? `agent timed out after ${timeoutMs / 1000}s`
    : outcome.exitCode !== null
      ? `agent exited with code ${outcome.exitCode}`
      : `agent was killed by ${outcome.signal ?? 'an unknown signal'}`;
  const what = outcome.limit ? `the agent's sandbox stopped it: ${outcome.limit}; ${how}` : how;
  const tail = reportableTail(outcome.outputTail, secrets);
  return tail ? `${what}; the end of its output:\n${tail}` : what;
}

/**
 * How the agent ended, for the attempt's record. Only this runner knows the passEnv values, so
 * they are removed here; the convoy service removes URL credentials and town tokens again.
 */
export function agentResultOf(outcome: AgentOutcome, secrets: readonly string[]): AgentResult {
  return {
    exitCode: outcome.exitCode,
    signal: outcome.signal,
    timedOut: outcome.timedOut,
    durationMs: Math.max(0, Math.round(outcome.durationMs)),
    outputTail: redactCredentials(outcome.outputTail, secrets),
  };
}
