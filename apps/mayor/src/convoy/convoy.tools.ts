import { closeConvoy, convoyStatus, listConvoys, listRigs, retryLanding, startConvoy, type BeadStatus, type ConvoyStatus } from '@gastown/gateway-client';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { runTool, type MayorContext } from '../mayor.answer';
import { findRig } from '../rig/rig.lookup';
import { summarizeBeads, summarizeConvoy, summarizeConvoyList, summarizeLandingRetried } from './convoy.summary';

const CONVOY_STATUSES = ['STAGED', 'ACTIVE', 'READY_TO_LAND', 'LANDING', 'LANDED', 'FAILED', 'CANCELLED'] as const satisfies readonly ConvoyStatus[];
const BEAD_STATUSES = ['OPEN', 'IN_PROGRESS', 'IN_REVIEW', 'CLOSED', 'FAILED', 'CANCELLED'] as const satisfies readonly BeadStatus[];

const convoyId = z.string().min(1).describe('The convoy id, as gt_sling_batch, gt_sling or gt_list_convoys returned it.');

export function registerConvoyTools(server: McpServer, ctx: MayorContext): void {
  server.registerTool(
    'gt_list_convoys',
    {
      title: 'List convoys',
      description: "The town's convoys, newest first, with their status and progress.",
      inputSchema: {
        status: z.enum(CONVOY_STATUSES).optional().describe('Only convoys in this status, e.g. ACTIVE or FAILED.'),
        rig: z.string().min(1).optional().describe('Only convoys with a bead on this rig (name or id).'),
        first: z.number().int().min(1).max(100).default(20).describe('How many convoys to return (at most 100).'),
      },
      annotations: { readOnlyHint: true },
    },
    ({ status, rig, first }) =>
      runTool(ctx, 'gt_list_convoys', async () => {
        const rigId = rig ? findRig(await listRigs(ctx.client), rig).id : undefined;
        const list = await listConvoys(ctx.client, { status, rigId, first });
        return { summary: summarizeConvoyList(list, status), data: list };
      }),
  );

  server.registerTool(
    'gt_convoy_status',
    {
      title: 'Convoy status',
      description:
        'One convoy in full: status, progress, every bead with its status, agent and blockers, waves, landing commit. ' +
        'Call it to follow a convoy until it is LANDED, FAILED or CANCELLED.',
      inputSchema: { convoy_id: convoyId },
      annotations: { readOnlyHint: true },
    },
    ({ convoy_id }) =>
      runTool(ctx, 'gt_convoy_status', async () => {
        const convoy = await convoyStatus(ctx.client, convoy_id);
        return { summary: summarizeConvoy(convoy), data: convoy };
      }),
  );

  server.registerTool(
    'gt_convoy_start',
    {
      title: 'Start a staged convoy',
      description: 'Releases a STAGED convoy once its plan is approved: its unblocked beads go to agents at once.',
      inputSchema: { convoy_id: convoyId },
    },
    ({ convoy_id }) =>
      runTool(ctx, 'gt_convoy_start', async () => {
        const convoy = await startConvoy(ctx.client, convoy_id);
        return { summary: summarizeConvoy(convoy), data: convoy };
      }),
  );

  server.registerTool(
    'gt_convoy_close',
    {
      title: 'Close a convoy',
      description:
        'Cancels a convoy that should not land: every bead not yet closed is cancelled and its agents are stopped. ' +
        'Beads already merged stay merged. A merge or landing whose push was already granted cannot be called back: ' +
        'the answer names each (mergesUnderWay, landingsUnderWay) and it still lands; nothing else of the convoy does. It cannot be undone.',
      inputSchema: {
        convoy_id: convoyId,
        reason: z.string().trim().min(1).describe('Why it is closed, in one sentence; it stays in the history.'),
      },
      annotations: { destructiveHint: true },
    },
    ({ convoy_id, reason }) =>
      runTool(ctx, 'gt_convoy_close', async () => {
        const convoy = await closeConvoy(ctx.client, convoy_id, reason);
        return { summary: summarizeConvoy(convoy), data: convoy };
      }),
  );

  server.registerTool(
    'gt_retry_landing',
    {
      title: 'Retry a failed landing',
      description:
        'Finishes a REVIEW_THEN_LAND convoy that FAILED on its landing: every bead is CLOSED (merged into the feature branch) ' +
        "but landing onto a rig's default branch failed, e.g. a conflict with a change pushed there meanwhile or a failing check. " +
        "Use it after that cause is fixed (gt_convoy_status shows each rig's landing: LANDED, PENDING or FAILED with the reason): " +
        'it lands the rigs not landed yet with a fresh landing budget; rigs already LANDED are not landed twice. ' +
        'It does not re-run any bead or agent. For a convoy that FAILED because a bead failed, use gt_bead_retry instead.',
      inputSchema: { convoy_id: convoyId },
    },
    ({ convoy_id }) =>
      runTool(ctx, 'gt_retry_landing', async () => {
        const convoy = await retryLanding(ctx.client, convoy_id);
        return { summary: summarizeLandingRetried(convoy), data: convoy };
      }),
  );

  server.registerTool(
    'gt_list_beads',
    {
      title: 'List the beads of a convoy',
      description:
        'The beads of one convoy in plan order, each with status, agent, blockers and last failure reason, ' +
        'and the bead id the bead tools need.',
      inputSchema: {
        convoy_id: convoyId,
        status: z.enum(BEAD_STATUSES).optional().describe('Only beads in this status, e.g. FAILED.'),
      },
      annotations: { readOnlyHint: true },
    },
    ({ convoy_id, status }) =>
      runTool(ctx, 'gt_list_beads', async () => {
        const convoy = await convoyStatus(ctx.client, convoy_id);
        const beads = [...convoy.beads].filter((b) => !status || b.status === status).sort((a, b) => a.index - b.index);
        return {
          summary: summarizeBeads(convoy, beads, status),
          data: { convoyId: convoy.id, convoyTitle: convoy.title, convoyStatus: convoy.status, beads },
        };
      }),
  );
}
