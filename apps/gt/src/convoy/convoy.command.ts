import { randomUUID } from 'node:crypto';
import { closeConvoy, listConvoys, retryLanding, startConvoy } from '@gastown/gateway-client';
import { choiceFlag, integerFlag, parseCommandArgs, type CliCommand } from '../cli.command';
import { UsageError } from '../cli.errors';
import { rigIdOf } from '../rig/rig.lookup';
import { formatConvoyChanged, formatConvoyClosed, formatConvoyList, formatLandingRetried } from './convoy.format';
import { showConvoyStatus, watchConvoyStatus, type WatchOutput } from './convoy.watch';

const STATUSES = ['STAGED', 'ACTIVE', 'READY_TO_LAND', 'LANDING', 'LANDED', 'FAILED', 'CANCELLED'] as const;

export const convoyList: CliCommand = {
  name: 'convoy list',
  usage: 'gt convoy list [--status S] [--rig name|id] [--limit N] [--json]',
  summary: 'list convoys, newest first',
  async run(ctx, argv) {
    const { values } = parseCommandArgs(
      this,
      argv,
      { status: { type: 'string' }, rig: { type: 'string' }, limit: { type: 'string' } },
      { min: 0, max: 0, names: '' },
    );
    const status = choiceFlag('status', values.status, STATUSES);
    const first = integerFlag('limit', values.limit, 1, 100) ?? 20;
    const client = ctx.client();
    const rigId = values.rig !== undefined ? await rigIdOf(client, values.rig) : undefined;
    const page = await listConvoys(client, { status, rigId, first });
    if (ctx.json) ctx.out(JSON.stringify(page));
    else formatConvoyList(page).forEach(ctx.out);
  },
};

export const convoyStatusCommand: CliCommand = {
  name: 'convoy status',
  usage: 'gt convoy status <id> [--watch [--json-lines]] [--json]',
  summary: 'show a convoy and its beads; --watch follows it live until it lands (exit 0) or fails (exit 1)',
  async run(ctx, argv) {
    const { values, positionals } = parseCommandArgs(
      this,
      argv,
      { watch: { type: 'boolean', short: 'w' }, 'json-lines': { type: 'boolean' } },
      { min: 1, max: 1, names: 'the convoy id' },
    );
    if (!values.watch) {
      if (values['json-lines']) throw new UsageError(`--json-lines goes with --watch\nusage: ${this.usage}`);
      return showConvoyStatus(ctx, positionals[0]);
    }
    if (values['json-lines'] && ctx.json) throw new UsageError('give either --json (the final convoy) or --json-lines (every change), not both');
    const output: WatchOutput = values['json-lines'] ? 'json-lines' : ctx.json ? 'json' : ctx.tty ? 'tty' : 'lines';
    return watchConvoyStatus(ctx, positionals[0], output);
  },
};

export const convoyStart: CliCommand = {
  name: 'convoy start',
  usage: 'gt convoy start <id> [--json]',
  summary: 'release a staged convoy: its unblocked beads become ready',
  async run(ctx, argv) {
    const { positionals } = parseCommandArgs(this, argv, {}, { min: 1, max: 1, names: 'the convoy id' });
    const convoy = await startConvoy(ctx.client(), positionals[0], randomUUID());
    if (ctx.json) ctx.out(JSON.stringify(convoy));
    else formatConvoyChanged('started', convoy).forEach(ctx.out);
  },
};

export const convoyClose: CliCommand = {
  name: 'convoy close',
  usage: 'gt convoy close <id> [--reason text] [--json]',
  summary: 'cancel a convoy and every bead not yet closed; a merge or landing already being pushed still lands, and is named',
  async run(ctx, argv) {
    const { values, positionals } = parseCommandArgs(this, argv, { reason: { type: 'string' } }, { min: 1, max: 1, names: 'the convoy id' });
    const reason = values.reason?.trim() || 'closed with gt convoy close';
    const convoy = await closeConvoy(ctx.client(), positionals[0], reason, randomUUID());
    if (ctx.json) ctx.out(JSON.stringify(convoy));
    else formatConvoyClosed(convoy).forEach(ctx.out);
  },
};

export const convoyLand: CliCommand = {
  name: 'convoy land',
  usage: 'gt convoy land <id> [--json]',
  summary: 'retry a FAILED landing once its cause is fixed: lands the rigs not landed yet; no bead runs again',
  async run(ctx, argv) {
    const { positionals } = parseCommandArgs(this, argv, {}, { min: 1, max: 1, names: 'the convoy id' });
    const convoy = await retryLanding(ctx.client(), positionals[0], randomUUID());
    if (ctx.json) ctx.out(JSON.stringify(convoy));
    else formatLandingRetried(convoy).forEach(ctx.out);
  },
};
