import { listRigs, registerRig } from '@gastown/gateway-client';
import { parseCommandArgs, type CliCommand } from '../cli.command';
import { rigAddInput } from './rig.args';
import { formatRigAdded, formatRigList } from './rig.format';

export const rigAdd: CliCommand = {
  name: 'rig add',
  usage:
    "gt rig add <name> --url <git url> [--branch main] [--max-polecats N] [--agent demo | --agent-profile <name> | --agent-command '<argv JSON>'] [--check name='<argv JSON>']... [--json]",
  summary: 'register a repository as a rig of the town',
  async run(ctx, argv) {
    const { values, positionals } = parseCommandArgs(
      this,
      argv,
      {
        url: { type: 'string' },
        branch: { type: 'string' },
        'max-polecats': { type: 'string' },
        agent: { type: 'string' },
        'agent-profile': { type: 'string' },
        'agent-command': { type: 'string' },
        check: { type: 'string', multiple: true },
      },
      { min: 1, max: 1, names: 'the rig name' },
    );
    const input = rigAddInput(positionals[0], values);
    const rig = await registerRig(ctx.client(), input);
    if (ctx.json) ctx.out(JSON.stringify(rig));
    else formatRigAdded(rig).forEach(ctx.out);
  },
};

export const rigList: CliCommand = {
  name: 'rig list',
  usage: 'gt rig list [--json]',
  summary: "list the town's rigs",
  async run(ctx, argv) {
    parseCommandArgs(this, argv, {}, { min: 0, max: 0, names: '' });
    const rigs = await listRigs(ctx.client());
    if (ctx.json) ctx.out(JSON.stringify({ rigs }));
    else formatRigList(rigs).forEach(ctx.out);
  },
};
