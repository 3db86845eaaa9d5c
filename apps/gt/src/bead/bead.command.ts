import { randomUUID } from 'node:crypto';
import { getBead, retryBead } from '@gastown/gateway-client';
import { parseCommandArgs, type CliCommand } from '../cli.command';
import { formatBead, formatBeadRetried } from './bead.format';

export const beadShow: CliCommand = {
  name: 'bead show',
  usage: 'gt bead show <id> [--json]',
  summary: "show a bead and its attempts, with the tail of each agent's output",
  async run(ctx, argv) {
    const { positionals } = parseCommandArgs(this, argv, {}, { min: 1, max: 1, names: 'the bead id' });
    const bead = await getBead(ctx.client(), positionals[0]);
    if (ctx.json) ctx.out(JSON.stringify(bead));
    else formatBead(bead).forEach(ctx.out);
  },
};

export const beadRetry: CliCommand = {
  name: 'bead retry',
  usage: 'gt bead retry <id> [--json]',
  summary: 'reopen a FAILED bead and release the beads it held',
  async run(ctx, argv) {
    const { positionals } = parseCommandArgs(this, argv, {}, { min: 1, max: 1, names: 'the bead id' });
    const bead = await retryBead(ctx.client(), positionals[0], randomUUID());
    if (ctx.json) ctx.out(JSON.stringify(bead));
    else formatBeadRetried(bead).forEach(ctx.out);
  },
};
