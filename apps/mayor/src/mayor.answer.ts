import { listRigs, type GatewayClient } from '@gastown/gateway-client';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { explainError, wantsRigList } from './mayor.errors';

/** What every tool needs: the gateway (the only way to the town) and a log that is never stdout. */
export interface MayorContext {
  readonly client: GatewayClient;
  readonly gatewayUrl: string;
  log(line: string): void;
}

/** A tool's answer: a short human summary, then the data as JSON for anything the summary leaves out. */
export interface Answer {
  readonly summary: string;
  readonly data: unknown;
}

export function toToolResult(answer: Answer): CallToolResult {
  return {
    content: [
      { type: 'text', text: answer.summary },
      { type: 'text', text: JSON.stringify(answer.data, null, 2) },
    ],
  };
}

/**
 * Runs one tool call. A failure is a tool result with isError and an explanation, not a
 * protocol error, so the model reads it and can correct its next call.
 */
export async function runTool(ctx: MayorContext, tool: string, work: () => Promise<Answer>): Promise<CallToolResult> {
  try {
    return toToolResult(await work());
  } catch (error) {
    ctx.log(`${tool} refused: ${error instanceof Error ? error.message : String(error)}`);
    const rigs = wantsRigList(error) ? await listRigs(ctx.client).catch(() => undefined) : undefined;
    return { isError: true, content: [{ type: 'text', text: explainError(error, { tool, gatewayUrl: ctx.gatewayUrl, rigs }) }] };
  }
}
