import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { listRigs, parsePlan, planWaves, resolvePlan, sling, slingBatch } from '@gastown/gateway-client';
import { choiceFlag, parseCommandArgs, type CliCommand } from '../cli.command';
import type { CliContext } from '../cli.context';
import { UsageError } from '../cli.errors';
import { rigIdOf } from '../rig/rig.lookup';
import { formatCreated, formatDryRun } from './sling.format';

const MERGE_MODES = ['REVIEW_THEN_LAND', 'REVIEW_AND_MERGE'] as const;

/** A file's text, or stdin for `-`; a missing file is a usage error naming it. */
async function readInput(ctx: CliContext, flag: string, path: string): Promise<string> {
  if (path === '-') return ctx.readStdin();
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`${flag} ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

export const slingOne: CliCommand = {
  name: 'sling',
  usage: 'gt sling <title> --rig <name|id> [--body text | --body-file f] [--merge-mode review_then_land|review_and_merge] [--staged] [--json]',
  summary: 'create a convoy of one bead',
  async run(ctx, argv) {
    const { values, positionals } = parseCommandArgs(
      this,
      argv,
      {
        rig: { type: 'string' },
        body: { type: 'string' },
        'body-file': { type: 'string' },
        'merge-mode': { type: 'string' },
        staged: { type: 'boolean' },
      },
      { min: 1, max: Infinity, names: 'the title' },
    );
    const title = positionals.join(' ').trim();
    if (!title) throw new UsageError(`the title must not be empty\nusage: ${this.usage}`);
    if (!values.rig) throw new UsageError(`--rig is required: the rig's name or id\nusage: ${this.usage}`);
    if (values.body !== undefined && values['body-file'] !== undefined) throw new UsageError('give either --body or --body-file, not both');
    const mergeMode = choiceFlag('merge-mode', values['merge-mode'], MERGE_MODES);
    const body = values['body-file'] !== undefined ? await readInput(ctx, '--body-file', values['body-file']) : values.body;
    const client = ctx.client();
    const convoy = await sling(client, {
      title,
      rigId: await rigIdOf(client, values.rig),
      ...(body !== undefined ? { body } : {}),
      ...(mergeMode ? { mergeMode } : {}),
      staged: values.staged ?? false,
      commandId: randomUUID(),
    });
    if (ctx.json) ctx.out(JSON.stringify(convoy));
    else formatCreated(convoy).forEach(ctx.out);
  },
};

export const slingBatchCommand: CliCommand = {
  name: 'sling-batch',
  usage: 'gt sling-batch --file plan.yaml|plan.json|- [--dry-run] [--json]',
  summary: 'create a convoy from a plan file (YAML or JSON; - reads stdin); --dry-run validates and shows the waves',
  async run(ctx, argv) {
    const { values } = parseCommandArgs(this, argv, { file: { type: 'string', short: 'f' }, 'dry-run': { type: 'boolean' } }, { min: 0, max: 0, names: '' });
    if (!values.file) throw new UsageError(`--file is required: a plan in YAML or JSON, or - for stdin\nusage: ${this.usage}`);
    const source = values.file === '-' ? 'stdin' : values.file;
    const plan = parsePlan(await readInput(ctx, '--file', values.file), source);
    const client = ctx.client();
    const rigs = await listRigs(client);
    const input = resolvePlan(plan, rigs, source);
    // Checked here too so that a cycle is a bad plan file (exit 2) with or without --dry-run.
    const waves = planWaves(input, source);
    if (values['dry-run']) {
      const rigName = (id: string) => rigs.find((r) => r.id === id)?.name ?? id;
      if (ctx.json) ctx.out(JSON.stringify({ dryRun: true, input, waves }));
      else formatDryRun(input, waves, rigName).forEach(ctx.out);
      return;
    }
    const convoy = await slingBatch(client, { ...input, commandId: randomUUID() });
    if (ctx.json) ctx.out(JSON.stringify(convoy));
    else formatCreated(convoy).forEach(ctx.out);
  },
};
