import { listAgents, listRigs } from '@gastown/gateway-client';
import { parseCommandArgs, type CliCommand } from '../cli.command';
import { findRig } from '../rig/rig.lookup';
import { formatAgents } from './agents.format';

export const agentsCommand: CliCommand = {
  name: 'agents',
  usage: 'gt agents [--rig name|id] [--json]',
  summary: 'list the polecats: status, current bead, last heartbeat',
  async run(ctx, argv) {
    const { values } = parseCommandArgs(this, argv, { rig: { type: 'string' } }, { min: 0, max: 0, names: '' });
    const client = ctx.client();
    const rigs = await listRigs(client);
    const rigId = values.rig !== undefined ? findRig(rigs, values.rig).id : undefined;
    const agents = await listAgents(client, rigId);
    if (ctx.json) ctx.out(JSON.stringify({ agents }));
    else formatAgents(agents, (id) => rigs.find((r) => r.id === id)?.name ?? id).forEach(ctx.out);
  },
};
