import { listRigs } from '@gastown/gateway-client';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { runTool, type MayorContext } from '../mayor.answer';
import { summarizeRigs } from './rig.summary';

export function registerRigTools(server: McpServer, ctx: MayorContext): void {
  server.registerTool(
    'gt_list_rigs',
    {
      title: 'List rigs',
      description: "The town's rigs (git repositories agents work in) with their agent and limits. Plans name a rig by its name.",
      annotations: { readOnlyHint: true },
    },
    () =>
      runTool(ctx, 'gt_list_rigs', async () => {
        const rigs = await listRigs(ctx.client);
        return { summary: summarizeRigs(rigs), data: rigs };
      }),
  );
}
