import { listAgents, listRigs } from '@gastown/gateway-client';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { runTool, type MayorContext } from '../mayor.answer';
import { findRig } from '../rig/rig.lookup';
import { summarizeAgents } from './agent.summary';

export function registerAgentTools(server: McpServer, ctx: MayorContext): void {
  server.registerTool(
    'gt_list_agents',
    {
      title: 'List agents',
      description: 'The polecats (worker agents) seen on the town\'s rigs: working or idle, the bead each works on, last heartbeat.',
      inputSchema: { rig: z.string().min(1).optional().describe('Only the polecats of this rig (name or id).') },
      annotations: { readOnlyHint: true },
    },
    ({ rig }) =>
      runTool(ctx, 'gt_list_agents', async () => {
        const rigs = await listRigs(ctx.client);
        const scope = rig ? findRig(rigs, rig) : undefined;
        const agents = await listAgents(ctx.client, scope?.id);
        return { summary: summarizeAgents(agents, rigs, scope), data: agents };
      }),
  );
}
