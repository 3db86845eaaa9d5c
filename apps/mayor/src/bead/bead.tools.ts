import { addDependency, convoyStatus, removeDependency, retryBead } from '@gastown/gateway-client';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { runTool, type MayorContext } from '../mayor.answer';
import { summarizeDependencies, summarizeRetriedBead } from './bead.summary';

const beadId = z.string().min(1).describe('The bead id, as gt_list_beads or gt_convoy_status shows it.');
const dependency = {
  bead_id: z.string().min(1).describe('The bead that waits (its id, from gt_list_beads).'),
  depends_on_bead_id: z.string().min(1).describe('The bead it waits for, of the same convoy (its id, from gt_list_beads).'),
};

export function registerBeadTools(server: McpServer, ctx: MayorContext): void {
  server.registerTool(
    'gt_bead_add_dependency',
    {
      title: 'Add a dependency',
      description:
        'Makes a bead wait until another bead of the same convoy is merged. Only for beads that have not started yet, ' +
        'while the convoy is STAGED or ACTIVE; a dependency that would close a cycle is refused.',
      inputSchema: dependency,
    },
    ({ bead_id, depends_on_bead_id }) =>
      runTool(ctx, 'gt_bead_add_dependency', async () => {
        const bead = await addDependency(ctx.client, bead_id, depends_on_bead_id);
        const convoy = await convoyStatus(ctx.client, bead.convoyId);
        return { summary: summarizeDependencies(bead, convoy, { added: true, otherId: depends_on_bead_id }), data: bead };
      }),
  );

  server.registerTool(
    'gt_bead_remove_dependency',
    {
      title: 'Remove a dependency',
      description:
        'Lets a bead start without waiting for another bead. Only for beads that have not started yet, while the convoy is STAGED or ACTIVE.',
      inputSchema: dependency,
    },
    ({ bead_id, depends_on_bead_id }) =>
      runTool(ctx, 'gt_bead_remove_dependency', async () => {
        const bead = await removeDependency(ctx.client, bead_id, depends_on_bead_id);
        const convoy = await convoyStatus(ctx.client, bead.convoyId);
        return { summary: summarizeDependencies(bead, convoy, { added: false, otherId: depends_on_bead_id }), data: bead };
      }),
  );

  server.registerTool(
    'gt_bead_retry',
    {
      title: 'Retry a failed bead',
      description:
        'Reopens a FAILED bead with a fresh attempt budget and releases the beads it was holding. ' +
        'Read why it failed first (gt_list_beads shows the last reason) and fix the cause, or it will fail again.',
      inputSchema: { bead_id: beadId },
    },
    ({ bead_id }) =>
      runTool(ctx, 'gt_bead_retry', async () => {
        const bead = await retryBead(ctx.client, bead_id);
        return { summary: summarizeRetriedBead(bead), data: bead };
      }),
  );
}
