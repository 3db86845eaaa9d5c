import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { registerAgentTools } from './agent/agent.tools';
import { registerBeadTools } from './bead/bead.tools';
import { registerConvoyTools } from './convoy/convoy.tools';
import type { MayorContext } from './mayor.answer';
import { registerMayorPrompt } from './prompt/mayor.prompt';
import { registerRigTools } from './rig/rig.tools';
import { registerSlingTools } from './sling/sling.tools';

const INSTRUCTIONS =
  'Plans and drives Gastown convoys: batches of coding tasks (beads) with dependencies that agents work on and that land together. ' +
  'Read the "mayor" prompt for how to plan; start with gt_list_rigs, plan with gt_sling_batch, follow with gt_convoy_status.';

export function createMayorServer(ctx: MayorContext, version: string): McpServer {
  const server = new McpServer({ name: 'gastown-mayor', title: 'Gastown Mayor', version }, { instructions: INSTRUCTIONS });
  registerRigTools(server, ctx);
  registerSlingTools(server, ctx);
  registerConvoyTools(server, ctx);
  registerBeadTools(server, ctx);
  registerAgentTools(server, ctx);
  registerMayorPrompt(server);
  return server;
}
