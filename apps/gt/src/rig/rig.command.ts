import { readFileSync } from 'node:fs';
import { clearRigCredentials, listRigs, registerRig, setRigCredentials } from '@gastown/gateway-client';
import { parseCommandArgs, type CliCommand } from '../cli.command';
import { UsageError } from '../cli.errors';
import { rigAddInput } from './rig.args';
import { CREDENTIAL_OPTIONS, CREDENTIAL_USAGE, rigCredentialsInput, type CredentialSources } from './rig.credentials';
import { formatRigAdded, formatRigCredentials, formatRigList } from './rig.format';
import { findRig } from './rig.lookup';

const PROCESS_SOURCES: CredentialSources = { env: (name) => process.env[name], readFile: (path) => readFileSync(path, 'utf8') };

export const rigAdd: CliCommand = {
  name: 'rig add',
  usage:
    "gt rig add <name> --url <git url> [--branch main] [--max-polecats N] [--agent demo | --agent-profile <name> | --agent-command '<argv JSON>'] [--check name='<argv JSON>']... " +
    `${CREDENTIAL_USAGE} [--json]`,
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
        ...CREDENTIAL_OPTIONS,
      },
      { min: 1, max: 1, names: 'the rig name' },
    );
    const credentials = rigCredentialsInput(values, PROCESS_SOURCES);
    const input = { ...rigAddInput(positionals[0], values), ...(credentials ? { credentials } : {}) };
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

export const rigCredentials: CliCommand = {
  name: 'rig credentials',
  usage: `gt rig credentials <rig> (${CREDENTIAL_USAGE.slice(1, -1)} | --clear) [--json]`,
  summary: "give a rig git credentials, replace them (rotation) or remove them; the token is read from an environment variable, never from argv",
  async run(ctx, argv) {
    const { values, positionals } = parseCommandArgs(this, argv, { ...CREDENTIAL_OPTIONS, clear: { type: 'boolean' } }, { min: 1, max: 1, names: 'the rig (name or id)' });
    const credentials = rigCredentialsInput(values, PROCESS_SOURCES);
    if (values.clear && credentials) throw new UsageError(`give new credentials or --clear, not both\nusage: ${this.usage}`);
    if (!values.clear && !credentials) throw new UsageError(`give --token-env, --ssh-key-file or --clear\nusage: ${this.usage}`);
    const client = ctx.client();
    const rig = findRig(await listRigs(client), positionals[0], 'rig');
    const updated = credentials ? await setRigCredentials(client, rig.id, credentials) : await clearRigCredentials(client, rig.id);
    if (ctx.json) ctx.out(JSON.stringify(updated));
    else ctx.out(formatRigCredentials(updated));
  },
};
