import { listRigs, sling, slingBatch } from '@gastown/gateway-client';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { runTool, type MayorContext } from '../mayor.answer';
import { SlingArguments, SlingBatchArguments, toSlingBatchInput, toSlingInput } from './sling.arguments';
import { summarizeCreatedConvoy } from './sling.summary';

export function registerSlingTools(server: McpServer, ctx: MayorContext): void {
  server.registerTool(
    'gt_sling_batch',
    {
      title: 'Plan a convoy',
      description:
        'Creates a convoy from a plan: beads with one concern each and the dependencies between them (depends_on). ' +
        'Gastown validates the plan as a whole (unknown rigs, missing tasks, cycles) and creates nothing when it is refused; ' +
        'the refusal says what to change. Agents start on every bead whose dependencies are merged, unless staged.',
      inputSchema: SlingBatchArguments,
    },
    (args) =>
      runTool(ctx, 'gt_sling_batch', async () => {
        const input = toSlingBatchInput(args, await listRigs(ctx.client));
        const convoy = await slingBatch(ctx.client, input);
        return { summary: summarizeCreatedConvoy(convoy), data: convoy };
      }),
  );

  server.registerTool(
    'gt_sling',
    {
      title: 'Sling one task',
      description: 'Creates a convoy of a single bead, for one self-contained change. For several related changes use gt_sling_batch.',
      inputSchema: SlingArguments,
    },
    (args) =>
      runTool(ctx, 'gt_sling', async () => {
        const convoy = await sling(ctx.client, toSlingInput(args, await listRigs(ctx.client)));
        return { summary: summarizeCreatedConvoy(convoy), data: convoy };
      }),
  );
}
