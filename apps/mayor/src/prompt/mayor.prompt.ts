import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

/** The Mayor's instructions live in markdown beside this file, so they read and review as a document. */
export const MAYOR_INSTRUCTIONS = readFileSync(join(__dirname, 'mayor.prompt.md'), 'utf8');

/** The instructions, followed by the person's request when the client passes one. */
export function mayorPromptText(request?: string): string {
  const ask = request?.trim();
  return ask ? `${MAYOR_INSTRUCTIONS}\n## The request\n\n${ask}\n` : MAYOR_INSTRUCTIONS;
}

export function registerMayorPrompt(server: McpServer): void {
  server.registerPrompt(
    'mayor',
    {
      title: 'Act as the Mayor',
      description: 'How to plan and drive Gastown convoys with the gt_* tools: beads, dependencies, merge modes, staging, progress.',
      argsSchema: { request: z.string().optional().describe('What the person wants built or fixed; the Mayor plans it.') },
    },
    ({ request }) => ({
      description: 'The Mayor of a Gastown town',
      messages: [{ role: 'user', content: { type: 'text', text: mayorPromptText(request) } }],
    }),
  );
}
